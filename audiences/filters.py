import django_filters

from .models import Audience


class AudienceFilter(django_filters.FilterSet):
    group = django_filters.UUIDFilter(field_name="group_id")
    archived = django_filters.BooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Audience
        fields = ("group", "archived", "name")
