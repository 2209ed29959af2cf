"""Query-parameter filters that refuse what they cannot read, instead of ignoring it.

django-filter treats `?archived=maybe` as "no filter", an empty `?program=` likewise, and
hands a date-time's own UTC offset to the database, where PostgreSQL rejects offsets past
±15:59 with a 500. Here each of these is a 400 naming the parameter."""

import datetime as dt

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "false"):
            return text == "true"
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(
                "The date-time is out of range once converted to UTC.", code="invalid"
            ) from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class FilterSet(django_filters.FilterSet):
    """Base of every API FilterSet: strict booleans and date-times, no empty typed values.

    `query_param_prefixes`: families of parameters the FilterSet reads itself (by prefix),
    which `core.api.contract` lets through beside the declared filters."""

    query_param_prefixes: tuple[str, ...] = ()

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.DateTimeField: {"filter_class": IsoDateTimeFilter},
    }

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if name in self.data and self.data.get(name) == "" and not _empty_is_a_value(filter_):
                self.form.add_error(
                    name,
                    forms.ValidationError(
                        "Give a value, or leave the parameter out.", code="blank"
                    ),
                )
                valid = False
        return valid


def _empty_is_a_value(filter_) -> bool:
    """A text filter's empty string is a value, and so is an empty comma-separated list."""
    if isinstance(filter_, django_filters.filters.BaseCSVFilter):
        return True
    return isinstance(filter_, django_filters.CharFilter) and not isinstance(
        filter_, django_filters.ChoiceFilter
    )


class FilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend with `FilterSet` as the base of `filterset_fields`."""

    filterset_base = FilterSet
