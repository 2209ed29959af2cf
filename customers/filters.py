import json
import math

import django_filters
from django.db import connection
from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from rest_framework.exceptions import ValidationError

from core.api.filters import FilterSet, IsoDateTimeFilter
from core.validators import is_clean_text

from .models import CustomerProfile
from .validators import is_valid_attribute_key

ATTRIBUTE_PARAM_PREFIX = "attributes__"


# Numbers beyond this are compared as text only: SQLite cannot bind larger integers.
MAX_EXACT_NUMBER = 2**53


def _json_scalar(raw: str):
    """The number or boolean a query-string value spells, if any (never NaN or Infinity)."""
    try:
        parsed = json.loads(raw, parse_constant=lambda name: None)
    except ValueError:
        return None
    if isinstance(parsed, bool):
        return parsed
    if isinstance(parsed, int | float) and math.isfinite(parsed) and abs(parsed) < MAX_EXACT_NUMBER:
        return parsed
    return None


def filter_attribute_equals(queryset, key: str, raw: str):
    """`attributes__tier=gold` matches the string "gold"; `attributes__visits=3` matches the
    number 3 or the string "3"; `true`/`false` also match booleans.

    PostgreSQL: jsonb containment, served by the GIN index on attributes. SQLite: the key's
    value compared through an explicit KeyTransform, so a key named like a lookup
    ("contains", "isnull") is still just a key.
    """
    candidates: list = [raw]
    scalar = _json_scalar(raw)
    if scalar is not None:
        candidates.append(scalar)
    if connection.vendor == "postgresql":
        query = Q()
        for value in candidates:
            query |= Q(attributes__contains={key: value})
        return queryset.filter(query)
    alias = f"_attribute_{len(queryset.query.annotations)}"
    return queryset.alias(**{alias: KeyTransform(key, "attributes")}).filter(
        **{f"{alias}__in": candidates}
    )


class CustomerProfileFilter(FilterSet):
    query_param_prefixes = (ATTRIBUTE_PARAM_PREFIX,)
    integration_id = django_filters.CharFilter()
    email = django_filters.CharFilter(method="filter_email")
    msisdn = django_filters.CharFilter()
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

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
            if not is_clean_text(value):
                raise ValidationError({param: ["Null characters are not allowed."]})
            queryset = filter_attribute_equals(queryset, key, value)
        return queryset
