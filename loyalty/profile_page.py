"""The loyalty sections of a customer's admin page (customers.hooks.profile_page_sections):
for each program, the balance over the last 90 days as a chart, the tier and its history,
and the latest transactions."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone

from core import charts

from .models import PointsAccount, PointsTransaction, TierAssignment, TierChange

DAYS = 90
LATEST = 10


@dataclass
class BalanceDay:
    day: dt.date
    balance: int


def balance_per_day(account, *, days: int = DAYS, today=None) -> list[BalanceDay]:
    """The running sum of the account's transactions at the end of each UTC day (what was
    earned, less what was spent or expired), two aggregate queries."""
    today = today or timezone.now().date()
    start = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    transactions = PointsTransaction.objects.filter(account=account)
    before = transactions.filter(created_at__lt=since).aggregate(s=Sum("amount"))["s"] or 0
    moves = dict(
        transactions.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(net=Sum("amount"))
        .values_list("day", "net")
    )
    result, balance = [], before
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        balance += moves.get(day, 0)
        result.append(BalanceDay(day, max(balance, 0)))
    return result


def sections(*, profile) -> list[tuple[str, str]]:
    accounts = PointsAccount.objects.filter(profile=profile, subledger_id="").select_related(
        "program"
    )
    answer = []
    for account in accounts:
        assignment = TierAssignment.objects.filter(account=account).select_related("tier").first()
        html = render_to_string(
            "admin/loyalty/profile_section.html",
            {
                "account": account,
                "chart": charts.line_chart(
                    f"Balance, last {DAYS} days (UTC)",
                    balance_per_day(account),
                    [("balance", "Balance", "issued")],
                ),
                "tier": assignment.tier if assignment else None,
                "tier_since": assignment.since if assignment else None,
                "tier_changes": TierChange.objects.filter(account=account).order_by(
                    "-created_at", "-id"
                )[:LATEST],
                "transactions": PointsTransaction.objects.filter(account=account).order_by(
                    "-created_at", "-id"
                )[:LATEST],
            },
        )
        answer.append((f"Loyalty: {account.program.name}", html))
    return answer
