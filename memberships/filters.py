import django_filters
from rest_framework.exceptions import ValidationError

from core.api.filters import FilterSet, IsoDateTimeFilter

from .models import LoyaltyMembership

MAX_IDS = 1000


class _Limited:
    def filter(self, qs, value):
        if value and len(value) > MAX_IDS:
            raise ValidationError({self.field_name: [f"At most {MAX_IDS} values."]})
        return super().filter(qs, value)


class UUIDListFilter(_Limited, django_filters.BaseInFilter, django_filters.UUIDFilter):
    pass


class CharListFilter(_Limited, django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class LoyaltyMembershipFilter(FilterSet):
    """`ids`, `profile` (integration ids) and `program` take comma-separated lists (up to
    1,000 values); `activity_state` is active (default), deleted or all."""

    # `any`: one array parameter on PostgreSQL instead of up to 1,000 (core/lookups.py)
    ids = UUIDListFilter(field_name="id", lookup_expr="any")
    profile = CharListFilter(field_name="profile__integration_id", lookup_expr="any")
    program = UUIDListFilter(field_name="program_id", lookup_expr="any")
    state = django_filters.MultipleChoiceFilter(choices=LoyaltyMembership.State.choices)
    activity_state = django_filters.ChoiceFilter(
        choices=[("active", "active"), ("deleted", "deleted"), ("all", "all")],
        method="filter_activity_state",
    )
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = LoyaltyMembership
        fields = ()

    def filter_activity_state(self, queryset, name, value):
        return queryset  # applied in filter_queryset so that "active" is also the default

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        state = self.form.cleaned_data.get("activity_state") or "active"
        if state == "active":
            return queryset.filter(deleted_at__isnull=True)
        if state == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset
