"""Base serializers of the API: a request body may only hold the fields the schema names.

DRF drops unknown keys without a word, so `{"system": true}` or a misspelt field looked like
success. Here an unknown key is a 400 naming it. Read-only fields (`id`, `created_at`, ...) are
known: a body read from a GET can be sent back as it is."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


class StrictFieldsMixin:
    reject_unknown_fields = True

    def to_internal_value(self, data):
        if self.reject_unknown_fields and isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                raise ValidationError(
                    {key: ["Unknown field: this request does not take it."] for key in unknown}
                )
        return super().to_internal_value(data)


class Serializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass


class QuerySerializer(Serializer):
    """Query parameters of one operation, both their schema (`extend_schema(parameters=[...])`)
    and their validation. Unknown parameters are `core.api.contract`'s to refuse: pagination's
    own are not fields here."""

    reject_unknown_fields = False
