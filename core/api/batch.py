"""Validating a batch of up to 1,000 items without paying DRF's per-item price.

A nested `many=True` serializer costs ~35 µs per item before the service even starts, more than
writing the row. `validate_batch` first tries a plain-Python pass that applies the *same*
field definitions (it reads them off the serializer: max_length, allow_blank, allow_null,
min/max, choices, defaults) to the values that are plainly valid. The first value it is not
sure about (a wrong type, an error, a field kind it does not know) sends the whole batch
through the serializer, so every error message, and every coercion of an unusual but valid
input such as "true" or "12", is DRF's own.
"""

import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from rest_framework import fields as f
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

_UNSURE = object()  # a check's answer for "let the serializer decide"
_PLAIN_CHAR_VALIDATORS = (
    "MaxLengthValidator",
    "MinLengthValidator",
    "ProhibitNullCharactersValidator",
    "ProhibitSurrogateCharactersValidator",
)


def _char(field: f.CharField) -> Callable[[Any], Any]:
    if any(type(v).__name__ not in _PLAIN_CHAR_VALIDATORS for v in field.validators):
        return _generic(field)
    max_length, min_length = field.max_length, field.min_length or 0

    def check(value):
        if type(value) is not str:
            return _UNSURE
        if field.trim_whitespace:
            value = value.strip()
        if value == "":
            return "" if field.allow_blank else _UNSURE
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            return _UNSURE
        if "\x00" in value:
            return _UNSURE
        if not value.isascii():
            try:
                value.encode()  # lone surrogates from JSON "\ud800" escapes cannot be stored
            except UnicodeEncodeError:
                return _UNSURE
        return value

    return check


def _uuid(field: f.UUIDField) -> Callable[[Any], Any]:
    def check(value):
        if type(value) is not str:
            return _UNSURE
        try:
            return uuid.UUID(value)
        except ValueError:
            return _UNSURE

    return check


def _boolean(field: f.BooleanField) -> Callable[[Any], Any]:
    return lambda value: value if type(value) is bool else _UNSURE


def _integer(field: f.IntegerField) -> Callable[[Any], Any]:
    low, high = field.min_value, field.max_value

    def check(value):
        if type(value) is not int:
            return _UNSURE
        if (low is not None and value < low) or (high is not None and value > high):
            return _UNSURE
        return value

    return check


def _choice(field: f.ChoiceField) -> Callable[[Any], Any]:
    choices = field.choice_strings_to_values

    def check(value):
        return choices[value] if type(value) is str and value in choices else _UNSURE

    return check


def _generic(field: f.Field) -> Callable[[Any], Any]:
    """Any other field: its own run_validation; an error means "unsure"."""

    def check(value):
        try:
            return field.run_validation(value)
        except ValidationError:
            return _UNSURE

    return check


_CHECKS = {
    f.CharField: _char,
    f.UUIDField: _uuid,
    f.BooleanField: _boolean,
    f.IntegerField: _integer,
    f.ChoiceField: _choice,
}


def _has_hooks(serializer: serializers.Serializer) -> bool:
    """Serializer-level validation that a field-by-field pass would skip."""
    return (
        type(serializer).validate is not serializers.Serializer.validate
        or bool(serializer.validators)
        or any(hasattr(serializer, f"validate_{name}") for name in serializer.fields)
    )


@cache
def _plan(serializer_class: type[serializers.Serializer], key: str):
    """(list field, [(name, required, default, allow_null, check)], field names) for the item
    serializer, or None when the item serializer has its own validate hooks (then only DRF
    will do)."""
    outer = serializer_class()
    list_field = outer.fields[key]
    child = list_field.child
    if list(outer.fields) != [key] or _has_hooks(outer) or _has_hooks(child):
        return None
    plan = []
    for name, field in child.fields.items():
        if field.read_only or field.source != name:
            return None
        check = _CHECKS.get(type(field), _generic)(field)
        plan.append((name, field.required, field.default, field.allow_null, check))
    return list_field, plan, frozenset(child.fields)


def _fast(serializer_class, data, key: str) -> list[dict] | None:
    plan = _plan(serializer_class, key)
    if plan is None or not isinstance(data, dict):
        return None
    list_field, fields, names = plan
    if len(data) != 1:
        return None  # another key beside the list: the serializer names it
    items = data.get(key)
    if type(items) is not list or not items:
        return None
    if (list_field.max_length is not None and len(items) > list_field.max_length) or (
        list_field.min_length is not None and len(items) < list_field.min_length
    ):
        return None
    out = []
    for item in items:
        if type(item) is not dict or not item.keys() <= names:
            return None  # unknown fields are the serializer's to name
        valid = {}
        for name, required, default, allow_null, check in fields:
            if name not in item:
                if required:
                    return None
                if default is not f.empty:
                    valid[name] = default() if callable(default) else default
                continue
            value = item[name]
            if value is None:
                if not allow_null:
                    return None
                valid[name] = None
                continue
            value = check(value)
            if value is _UNSURE:
                return None
            valid[name] = value
        out.append(valid)
    return out


def validate_batch(serializer_class: type[serializers.Serializer], data, key: str) -> list[dict]:
    """The validated items of `data[key]`, as `serializer_class(data=data)` would give them;
    400 with the serializer's errors when any item is invalid."""
    items = _fast(serializer_class, data, key)
    if items is None:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data[key]
    return items
