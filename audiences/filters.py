import django_filters

from core.api.filters import BooleanFilter, FilterSet

from .models import Audience, AudienceImport


class AudienceFilter(FilterSet):
    group = django_filters.UUIDFilter(field_name="group_id")
    archived = BooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Audience
        fields = ("group", "archived", "name")


class AudienceImportFilter(FilterSet):
    # a plain UUID (not a model choice): another organization's audience id finds nothing,
    # exactly like an id that does not exist
    audience = django_filters.UUIDFilter(field_name="audience_id")
    status = django_filters.ChoiceFilter(
        choices=[*AudienceImport.Status.choices, ("cancelled", "Deprecated spelling of canceled")],
        method="filter_status",
    )

    class Meta:
        model = AudienceImport
        fields = ("audience", "status")

    def filter_status(self, queryset, name, value):
        # "cancelled" was this status's spelling before the API settled on "canceled"
        return queryset.filter(status="canceled" if value == "cancelled" else value)
