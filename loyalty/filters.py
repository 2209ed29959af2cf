"""FilterSets of the loyalty API; foreign-key filters only offer the request's organization."""

import django_filters

from core.api.filters import FilterSet

from .models import Tier, TierStructure


class TierStructureFilter(FilterSet):
    program = django_filters.UUIDFilter(field_name="program_id")
    status = django_filters.MultipleChoiceFilter(choices=TierStructure.Status.choices)

    class Meta:
        model = TierStructure
        fields = ("program", "status", "type")


class TierFilter(FilterSet):
    structure = django_filters.UUIDFilter(field_name="structure_id")

    class Meta:
        model = Tier
        fields = ("structure",)
