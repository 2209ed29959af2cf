"""The dashboard's figures for one organization: each is one aggregate query over indexed
columns (`bench/dashboard.py` times the page at 1M ledger rows)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from audiences.models import Audience, AudienceImport, AudienceRefresh
from loyalty import rollups
from loyalty.models import PointsTransaction, Tier, TierChange, TierStructure

POINTS_DAYS = 90
TIER_CHANGE_DAYS = 7
TREND_DAYS = 7
TOP_AUDIENCES = 8
Kind = PointsTransaction.Kind


@dataclass
class ProgramTiers:
    program: str
    tiers: list[tuple[str, int]]  # (tier name, members), in ladder order


def members_per_tier(organization) -> list[ProgramTiers]:
    """Members of each tier of each program's active ladder (the tier engine's), empty tiers
    included."""
    rows = (
        Tier.objects.filter(
            organization=organization, structure__status=TierStructure.Status.ACTIVE
        )
        .values("structure__program__name", "name", "order")
        .annotate(members=Count("assignments"))
        .order_by("structure__program__name", "order")
    )
    programs: dict[str, ProgramTiers] = {}
    for row in rows:
        name = row["structure__program__name"]
        programs.setdefault(name, ProgramTiers(name, [])).tiers.append(
            (row["name"], row["members"])
        )
    return list(programs.values())


def points_per_day(organization, *, days: int = POINTS_DAYS, today=None) -> list:
    """Points issued, redeemed and expired per UTC day: the closed days' sums and today's
    transactions (loyalty.rollups), two queries whatever the ledger's size."""
    return rollups.points_per_day(organization, days=days, today=today)


def largest_audiences(organization, *, limit: int = TOP_AUDIENCES, now=None) -> list[Audience]:
    """The biggest live audiences with their size, last refresh, and `trend`: the size now
    against the size their last refresh before a week ago found (None without one)."""
    now = now or timezone.now()
    week_ago = (
        AudienceRefresh.objects.filter(
            audience=OuterRef("pk"),
            status=AudienceRefresh.Status.COMPLETED,
            started_at__lte=now - dt.timedelta(days=TREND_DAYS),
        )
        .order_by("-started_at")
        .values("member_count")[:1]
    )
    audiences = list(
        Audience.objects.filter(organization=organization, archived=False)
        .annotate(size_week_ago=Subquery(week_ago))
        .order_by("-member_count", "name")[:limit]
    )
    for audience in audiences:
        before = audience.size_week_ago
        audience.trend = None if before is None else audience.member_count - before
    return audiences


def running_imports(organization) -> list[AudienceImport]:
    return list(
        AudienceImport.objects.filter(
            organization=organization,
            status__in=[AudienceImport.Status.PENDING, AudienceImport.Status.RUNNING],
        )
        .select_related("audience")
        .order_by("created_at")[:20]
    )


@dataclass
class TierMoves:
    program: str
    upgrades: int
    downgrades: int  # downgrades and expired tiers


def tier_changes(organization, *, days: int = TIER_CHANGE_DAYS, now=None) -> list[TierMoves]:
    now = now or timezone.now()
    Reason = TierChange.Reason
    rows = (
        TierChange.objects.filter(
            organization=organization, created_at__gte=now - dt.timedelta(days=days)
        )
        .values("program__name")
        .annotate(
            upgrades=Count("id", filter=Q(reason__in=[Reason.UPGRADE, Reason.ACTIVATION])),
            downgrades=Count("id", filter=Q(reason__in=[Reason.DOWNGRADE, Reason.EXPIRATION])),
        )
        .order_by("program__name")
    )
    return [TierMoves(r["program__name"], r["upgrades"], r["downgrades"]) for r in rows]
