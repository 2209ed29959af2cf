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
    status = django_filters.ChoiceFilter(choices=AudienceImport.Status.choices)

    class Meta:
        model = AudienceImport
        fields = ("audience", "status")
