"""CSV exports of audiences: their members, streamed (core.csv_export)."""

from django.db.models import QuerySet

from core.csv_export import CsvExport, queryset_export

from .models import AudienceMembership

MEMBER_COLUMNS = {
    "audience": "audience__name",
    "integration_id": "profile__integration_id",
    "email": "profile__email",
    "msisdn": "profile__msisdn",
    "first_name": "profile__first_name",
    "last_name": "profile__last_name",
    "source": "source",
    "added_at": "added_at",
}


def audience_members(audiences: QuerySet, *, filename: str) -> CsvExport:
    """The members of `audiences` (already scoped to one organization), audience by audience,
    oldest first: in the (audience, added_at, id) index's order."""
    members = AudienceMembership.objects.filter(audience__in=audiences)
    ordered = members.order_by("audience_id", "added_at", "id")
    return queryset_export(ordered, MEMBER_COLUMNS, filename=filename)
