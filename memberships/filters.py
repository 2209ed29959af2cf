import django_filters
from rest_framework.exceptions import ValidationError

from core.api.filters import FilterSet, IsoDateTimeFilter

from .models import LoyaltyMembership
from .selectors import filter_memberships

MAX_IDS = 1000


class UUIDListFilter(django_filters.BaseInFilter, django_filters.UUIDFilter):
    pass


class CharListFilter(django_filters.BaseInFilter, django_filters.CharFilter):
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
        """The query string parsed here, filtered by the same selector as the POST search."""
        for name, value in self.form.cleaned_data.items():
            if value and name in ("ids", "profile", "program") and len(value) > MAX_IDS:
                raise ValidationError({name: [f"At most {MAX_IDS} values."]})
        data = self.form.cleaned_data
        return filter_memberships(
            queryset,
            ids=data.get("ids"),
            profiles=data.get("profile"),
            programs=data.get("program"),
            states=data.get("state"),
            activity_state=data.get("activity_state") or "active",
            updated_after=data.get("updated_after"),
            updated_before=data.get("updated_before"),
        )
