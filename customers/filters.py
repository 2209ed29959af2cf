import json

import django_filters
from django.db import connection
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from .models import CustomerProfile
from .validators import is_valid_attribute_key

ATTRIBUTE_PARAM_PREFIX = "attributes__"


def attribute_equals(key: str, raw: str) -> Q:
    """`attributes__tier=gold` matches the string "gold"; `attributes__visits=3` matches the
    number 3 or the string "3"; `true`/`false` also match booleans.

    On PostgreSQL this is jsonb containment, served by the GIN index on attributes."""
    candidates: list = [raw]
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, bool | int | float):
        candidates.append(parsed)
    query = Q()
    for value in candidates:
        if connection.vendor == "postgresql":
            query |= Q(attributes__contains={key: value})
        else:
            query |= Q(**{f"attributes__{key}": value})
    return query


class CustomerProfileFilter(django_filters.FilterSet):
    integration_id = django_filters.CharFilter()
    email = django_filters.CharFilter(method="filter_email")
    msisdn = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = CustomerProfile
        fields = ("integration_id", "email", "msisdn", "created_after", "created_before")

    def filter_email(self, queryset, name, value):
        return queryset.filter(email=value.strip().lower())

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        for param, value in self.data.items():
            if not param.startswith(ATTRIBUTE_PARAM_PREFIX):
                continue
            key = param[len(ATTRIBUTE_PARAM_PREFIX) :]
            if not is_valid_attribute_key(key):
                raise ValidationError(
                    {param: ["Unknown attribute filter: use attributes__<name>=<value>."]}
                )
            if "\x00" in value:
                raise ValidationError({param: ["Null characters are not allowed."]})
            queryset = queryset.filter(attribute_equals(key, value))
        return queryset
