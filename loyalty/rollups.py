"""The ledger per day: closed days are summed once into PointsDailyTotal (a beat task), and a
chart reads those rows plus today's transactions, live.

A day is closed when it has ended (UTC). Transactions are never changed, but one may be
written with an earlier `created_at` (a backdated import); each run therefore recomputes the
last RECOMPUTE_DAYS closed days as well as any day not yet summed."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import IntegerField, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from organizations.models import Organization

from .models import PointsDailyTotal, PointsTransaction

KEPT_DAYS = 120  # summed back this far (the dashboard shows 90)
RECOMPUTE_DAYS = 2
Kind = PointsTransaction.Kind


@dataclass
class PointsDay:
    day: dt.date
    issued: int
    redeemed: int
    expired: int


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _sums(transactions) -> dict[dt.date, PointsDay]:
    """{day: PointsDay} of these transactions, in one aggregate query."""
    number = IntegerField()
    rows = (
        transactions.annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(
            issued=Coalesce(Sum("amount", filter=Q(amount__gt=0)), 0, output_field=number),
            redeemed=Coalesce(
                Sum("amount", filter=Q(amount__lt=0, kind=Kind.REDEEM)), 0, output_field=number
            ),
            expired=Coalesce(
                Sum("amount", filter=Q(amount__lt=0, kind=Kind.EXPIRATION)), 0, output_field=number
            ),
        )
    )
    return {
        row["day"]: PointsDay(row["day"], row["issued"], -row["redeemed"], -row["expired"])
        for row in rows
    }


def roll_up_organization(organization, *, today: dt.date | None = None) -> int:
    """Sum the organization's closed days that are not summed yet, and the last
    RECOMPUTE_DAYS again; returns the number of days written."""
    today = today or timezone.now().date()
    first = today - dt.timedelta(days=KEPT_DAYS)
    done = set(
        PointsDailyTotal.objects.filter(organization=organization, day__gte=first).values_list(
            "day", flat=True
        )
    )
    recompute_from = today - dt.timedelta(days=RECOMPUTE_DAYS)
    days = [
        day
        for offset in range(KEPT_DAYS)
        if (day := first + dt.timedelta(days=offset)) not in done or day >= recompute_from
    ]
    if not days:
        return 0
    sums = _sums(
        PointsTransaction.objects.filter(
            organization=organization,
            created_at__gte=_midnight(days[0]),
            created_at__lt=_midnight(today),
        )
    )
    now = timezone.now()
    rows = [
        PointsDailyTotal(
            organization=organization, computed_at=now,
            **vars(sums.get(day) or PointsDay(day, 0, 0, 0)),
        )
        for day in days
    ]  # fmt: skip
    with transaction.atomic():
        PointsDailyTotal.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["organization", "day"],
            update_fields=["issued", "redeemed", "expired", "computed_at"],
        )
    return len(rows)


def roll_up_all(*, today: dt.date | None = None) -> int:
    return sum(
        roll_up_organization(organization, today=today)
        for organization in Organization.objects.only("pk").iterator()
    )


def points_per_day(organization, *, days: int, today: dt.date | None = None) -> list[PointsDay]:
    """The last `days` days (today included), oldest first, days without transactions as
    zeros: closed days from PointsDailyTotal, the rest (today, and any closed day the task has
    not summed yet) from the transactions themselves."""
    today = today or timezone.now().date()
    start = today - dt.timedelta(days=days - 1)
    summed = {
        row.day: PointsDay(row.day, row.issued, row.redeemed, row.expired)
        for row in PointsDailyTotal.objects.filter(
            organization=organization, day__gte=start, day__lt=today
        )
    }
    closed = [start + dt.timedelta(days=offset) for offset in range(days - 1)]
    live_from = min((day for day in closed if day not in summed), default=today)
    live = _sums(
        PointsTransaction.objects.filter(
            organization=organization, created_at__gte=_midnight(live_from)
        )
    )
    result = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        result.append(
            (summed.get(day) if day < live_from else None)
            or live.get(day)
            or PointsDay(day, 0, 0, 0)
        )
    return result
