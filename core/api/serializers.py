"""Base serializers of the API: a request body may only hold the fields the schema names.

DRF drops unknown keys without a word, so `{"system": true}` or a misspelt field looked like
success. Here an unknown key is a 400 naming it. Read-only fields (`id`, `created_at`, ...) are
known: a body read from a GET can be sent back as it is."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.numbers import NumberField

# JSON types each kind of field takes. DRF would also read 0 as "0", "12" as 12, 1 as true
# and an integer as a UUID; the schema promises a string, an integer, a boolean.
_JSON_TYPES = (
    (serializers.ChoiceField, None),  # its choices decide
    (serializers.BooleanField, (bool,)),
    (serializers.IntegerField, (int,)),
    (serializers.FloatField, (int, float)),
    (serializers.UUIDField, (str,)),
    (serializers.CharField, (str,)),
    (serializers.ListField, (list,)),
    (serializers.ListSerializer, (list,)),
    (serializers.Serializer, (Mapping,)),
)
_TYPE_NAMES = {bool: "a boolean", int: "an integer", str: "a string", list: "a list"}


def _wrong_type(field, value) -> str | None:
    if value is None:
        return None  # allow_null decides
    for field_class, types in _JSON_TYPES:
        if isinstance(field, field_class):
            if types is None:
                return None
            if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
                return None
            if types == (int,) and isinstance(value, float) and value.is_integer():
                return None  # 7.0 is the integer 7 in JSON
            return f"Must be {_TYPE_NAMES.get(types[0], 'an object')}."
    return None


def _type_error(field, value):
    """[message] for a value of the wrong JSON type, {index: [message]} for list items of
    the wrong type, or None."""
    message = _wrong_type(field, value)
    if message:
        return [message]
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        items = {}
        for index, item in enumerate(value):
            item_message = _wrong_type(field.child, item)
            if item_message:
                items[index] = [item_message]
        return items or None
    return None


class StrictFieldsMixin:
    reject_unknown_fields = True
    strict_types = True

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            if self.reject_unknown_fields:
                for key in data:
                    if key not in self.fields:
                        errors[key] = ["Unknown field: this request does not take it."]
            if self.strict_types:
                for name, field in self.fields.items():
                    if name in data and not field.read_only:
                        error = _type_error(field, data[name])
                        if error:
                            errors[name] = error
            for name, field in self.fields.items():
                current = getattr(field, "deprecated_alias_of", None)
                if name in data and current in data and data[name] != data[current]:
                    errors[name] = [f"Send `{current}` or its old name `{name}`, not both."]
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)


def deprecated_alias(field_class: type[serializers.Field], *, of: str, **kwargs):
    """A `field_class(**kwargs)` field under the old name of `of`, kept for one release after a
    rename: answered beside it with the same value (give it the same `source`) and, where
    writable, accepted instead of it. The schema marks it deprecated; the README lists every
    alias and when it goes. (A subclass carries the mark: DRF copies fields by re-creating them
    from their arguments.)"""
    alias_class = type(
        f"Deprecated{field_class.__name__}", (field_class,), {"deprecated_alias_of": of}
    )
    kwargs.setdefault(
        "help_text", f"Deprecated: the old name of `{of}`; removed in the next release."
    )
    return alias_class(**kwargs)


class Serializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    def build_standard_field(self, field_name, model_field):
        if isinstance(model_field, NumberField):  # given by the database, never null once read
            return serializers.IntegerField, {
                "read_only": True,
                "help_text": model_field.help_text,
            }
        return super().build_standard_field(field_name, model_field)


def query_data(request, *list_params) -> dict:
    """The query string as a QuerySerializer's data: `list_params` as lists, the others
    single. (Given the QueryDict itself, DRF would skip an empty `?start_date=` instead of
    refusing it.)"""
    data = {key: request.query_params.get(key) for key in request.query_params}
    for key in list_params:
        if key in request.query_params:
            data[key] = request.query_params.getlist(key)
    return data


class QuerySerializer(Serializer):
    """Query parameters of one operation, both their schema (`extend_schema(parameters=[...])`)
    and their validation. Unknown parameters are `core.api.contract`'s to refuse: pagination's
    own are not fields here."""

    reject_unknown_fields = False
    strict_types = False  # query strings are strings: the fields parse them


class OptionalFieldsMixin:
    """A PATCH body: every top-level field may be left out (and no default fills it in).
    Unlike `partial=True`, nested objects and list items still need their required fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (its keys and values are checked by the field's validators)."""


@extend_schema_field({"type": "object", "additionalProperties": True, "minProperties": 1})
class NonEmptyDictField(serializers.DictField):
    """An object with at least one key (the service says so when it is empty)."""


class UniqueListField(serializers.ListField):
    """A list whose items must all differ: the schema says `uniqueItems`; the service names
    the repeated item."""

    unique_items = True
