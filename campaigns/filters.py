import django_filters

from core.api.filters import FilterSet

from .models import CustomerSession, EarningRule


class EarningRuleFilter(FilterSet):
    # a plain UUID: another organization's program id finds nothing, like one that does not exist
    program = django_filters.UUIDFilter(field_name="program_id")

    class Meta:
        model = EarningRule
        fields = ("program", "trigger", "status")


class CustomerSessionFilter(FilterSet):
    profile = django_filters.CharFilter(
        field_name="profile__integration_id", help_text="The customer's integration_id."
    )

    class Meta:
        model = CustomerSession
        fields = ("state", "profile")
