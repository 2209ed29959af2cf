"""CSV exports of member groups' members and of loyalty memberships, streamed
(core.csv_export)."""

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.csv_export import CsvExport, queryset_export
from loyalty.models import Tier

from .models import MembersGroupMember
from .selectors import engine_tier, ledger_points

GROUP_MEMBER_COLUMNS = {
    "group": "group__name",
    "integration_id": "profile__integration_id",
    "email": "profile__email",
    "msisdn": "profile__msisdn",
    "first_name": "profile__first_name",
    "last_name": "profile__last_name",
    "added_at": "added_at",
}
MEMBERSHIP_COLUMNS = {
    "id": "id",
    "program": "program__name",
    "integration_id": "profile__integration_id",
    "code": "code",
    "is_primary": "is_primary",
    "state": "state",
    "points": "export_points",
    "tier": "export_tier",
    "expiration_date": "expiration_date",
    "deleted_at": "deleted_at",
    "created_at": "created_at",
}


def group_members(groups: QuerySet, *, filename: str) -> CsvExport:
    members = MembersGroupMember.objects.filter(group__in=groups)
    ordered = members.order_by("group_id", "added_at", "id")
    return queryset_export(ordered, GROUP_MEMBER_COLUMNS, filename=filename)


def memberships(queryset: QuerySet, *, filename: str) -> CsvExport:
    """Memberships as the API shows them: points from the ledger (else the stored points) and
    the tier engine's tier, by name."""
    tier = Tier.objects.filter(pk=OuterRef("export_tier_id")).values("name")[:1]
    annotated = queryset.annotate(export_tier_id=engine_tier()).annotate(
        export_points=Coalesce(ledger_points(), F("points")), export_tier=Subquery(tier)
    )
    ordered = annotated.order_by(*(queryset.query.order_by or ("created_at", "id")))
    return queryset_export(ordered, MEMBERSHIP_COLUMNS, filename=filename)
