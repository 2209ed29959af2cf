"""Reads over the ledger and tiers: balances at any moment, points lots, previews, ladders."""

import datetime as dt
from collections import defaultdict

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import CustomerProfile

from .models import (
    LoyaltyCard,
    LoyaltyProgram,
    PointsAccount,
    PointsAllocation,
    PointsLot,
    PointsTransaction,
    TierAssignment,
    TierStructure,
)
from .tiering import active_structure, earned_since

BALANCE_KEYS = ("active", "pending", "expired", "spent", "tentative")


def _empty() -> dict:
    return dict.fromkeys(BALANCE_KEYS, 0)


def ledger_balances(*, accounts, at: dt.datetime | None = None) -> dict[str, dict]:
    """{subledger_id: {active, pending, expired, spent, tentative}} for `accounts` (a queryset
    of PointsAccount) as of `at` (default now), computed from the ledger itself (so correct at
    any past or future moment, whatever the beat tasks have done). Three queries."""
    at = at or timezone.now()
    lot_states = {
        "pending": Q(activates_at__gt=at),
        "active": Q(activates_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at)),
        "expired": Q(expires_at__lte=at),
    }
    lots = (
        PointsLot.objects.filter(account__in=accounts, created_at__lte=at)
        .values("account__subledger_id")
        .annotate(
            **{name: Sum("amount", filter=cond, default=0) for name, cond in lot_states.items()}
        )
    )
    allocations = (
        PointsAllocation.objects.filter(lot__account__in=accounts, created_at__lte=at)
        .values("lot__account__subledger_id")
        .annotate(
            total=Sum("amount", default=0),
            **{
                name: Sum("amount", filter=_lot_cond(cond), default=0)
                for name, cond in lot_states.items()
            },
        )
    )
    spends = (
        PointsTransaction.objects.filter(account__in=accounts, amount__lt=0, created_at__lte=at)
        .exclude(kind=PointsTransaction.Kind.EXPIRATION)
        .values("account__subledger_id")
        .annotate(total=Sum("amount", default=0))
    )
    result: dict[str, dict] = defaultdict(_empty)
    used = defaultdict(lambda: defaultdict(int))
    for row in allocations:
        used[row["lot__account__subledger_id"]].update(row)
    spent = {row["account__subledger_id"]: -row["total"] for row in spends}
    lots = list(lots)
    with_lots = {row["account__subledger_id"] for row in lots}
    for row in lots:
        sub = row["account__subledger_id"]
        u = used[sub]
        debt = spent.get(sub, 0) - u["total"]
        balance = result[sub]
        balance["pending"] = row["pending"] - u["pending"]
        balance["active"] = row["active"] - u["active"] - debt
        balance["expired"] = row["expired"] - u["expired"]
    for sub, total in spent.items():
        balance = result[sub]
        balance["spent"] = total
        if sub not in with_lots:
            balance["active"] = -total  # an overdraft with no points ever earned
    for balance in result.values():
        balance["tentative"] = balance["active"] + balance["pending"]
    return dict(result)


def _lot_cond(cond: Q) -> Q:
    """The lot-state condition, seen from an allocation (through its lot)."""
    prefixed = Q()
    prefixed.connector, prefixed.negated = cond.connector, cond.negated
    for child in cond.children:
        if isinstance(child, Q):
            prefixed.children.append(_lot_cond(child))
        else:
            key, value = child
            prefixed.children.append((f"lot__{key}", value))
    return prefixed


def account_queryset(*, program: LoyaltyProgram, profile=None, card=None, subledger_ids=None):
    accounts = PointsAccount.objects.filter(program=program)
    accounts = (
        accounts.filter(profile=profile) if profile is not None else accounts.filter(card=card)
    )
    if subledger_ids:
        accounts = accounts.filter(subledger_id__in=subledger_ids)
    return accounts


def balances(
    *,
    program: LoyaltyProgram,
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    at: dt.datetime | None = None,
    subledger_ids: list[str] | None = None,
) -> dict:
    """Talon.One's LoyaltyBalances: the main ledger's `balance` and `subledger_balances`; with
    subledger ids, only those subledgers (the main ledger is '')."""
    accounts = account_queryset(
        program=program, profile=profile, card=card, subledger_ids=subledger_ids
    )
    by_subledger = ledger_balances(accounts=accounts, at=at)
    if subledger_ids:
        return {
            "subledger_balances": {s: by_subledger.get(s, _empty()) for s in subledger_ids},
        }
    main = by_subledger.pop("", _empty())
    return {"balance": main, "subledger_balances": by_subledger}


def transactions(*, accounts, kind: str | None = None, start=None, end=None):
    """The ledger transactions of `accounts`, of one kind and within [start, end] if given."""
    rows = PointsTransaction.objects.filter(account__in=accounts).select_related("account")
    if kind is not None:
        rows = rows.filter(kind=kind)
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lte=end)
    return rows


def points_lots(*, accounts, status: str, at: dt.datetime | None = None):
    """Unused points (lots with something left) by status: active | pending | expired
    (expired: the part that expired unspent)."""
    at = at or timezone.now()
    lots = PointsLot.objects.filter(account__in=accounts).select_related("account")
    if status == "pending":
        return lots.filter(activates_at__gt=at)
    if status == "expired":
        return lots.filter(expires_at__lte=at).annotate(
            spent_before_expiry=Coalesce(
                Subquery(
                    PointsAllocation.objects.filter(lot=OuterRef("pk"))
                    .values("lot")
                    .annotate(s=Sum("amount"))
                    .values("s")
                ),
                0,
            )
        )
    return lots.filter(
        Q(activates_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at)),
        remaining__gt=0,
    )


def qualifying_points_expression(structure: TierStructure, now: dt.datetime):
    """An expression over PointsAccount rows: the points tiers are decided on."""
    if structure.type == TierStructure.Type.POINT_BALANCE:
        return Coalesce("active_points", 0)
    return Coalesce(
        Subquery(
            PointsTransaction.objects.filter(
                account=OuterRef("pk"),
                amount__gt=0,
                created_at__gt=earned_since(structure, now),
                created_at__lte=now,
            )
            .values("account")
            .annotate(s=Sum("amount"))
            .values("s")
        ),
        0,
    )


def structure_preview(*, structure: TierStructure, now: dt.datetime | None = None) -> list[dict]:
    """Dry run: how many customers would land in each tier if `structure` were activated now.

    Customers of the program's organization without points count as 0 points (profiles for a
    profile program, cards for a card program). Two queries plus the ladder.
    """
    now = now or timezone.now()
    ladder = sorted(structure.tiers.all(), key=lambda t: t.order)
    reached = sorted(ladder, key=lambda t: t.order, reverse=True)  # highest tier first
    program = structure.program
    tier_of = Case(
        *[When(points__gte=t.min_points, then=Value(t.order)) for t in reached],
        default=Value(0),
        output_field=IntegerField(),
    )
    counts = dict(
        PointsAccount.objects.filter(program=program, subledger_id="")
        .annotate(points=qualifying_points_expression(structure, now))
        .annotate(tier_order=tier_of)
        .values("tier_order")
        .annotate(n=Count("pk"))
        .values_list("tier_order", "n")
    )
    if program.kind == LoyaltyProgram.Kind.PROFILE:
        without_points = CustomerProfile.objects.filter(
            organization_id=program.organization_id
        ).exclude(points_accounts__program=program, points_accounts__subledger_id="")
    else:
        without_points = LoyaltyCard.objects.filter(program=program).exclude(
            accounts__subledger_id=""
        )
    zero_tier = next((t.order for t in reached if t.min_points <= 0), 0)
    counts[zero_tier] = counts.get(zero_tier, 0) + without_points.count()
    rows = [
        {"tier": t, "order": t.order, "name": t.name, "count": counts.get(t.order, 0)}
        for t in ladder
    ]
    rows.append({"tier": None, "order": 0, "name": "No tier", "count": counts.get(0, 0)})
    return rows


def tier_ladder(*, structure: TierStructure) -> list[dict]:
    """The tiers with their ranges and how many customers hold each one now."""
    ladder = sorted(structure.tiers.all(), key=lambda t: t.order)
    counts = dict(
        TierAssignment.objects.filter(structure=structure, tier__isnull=False)
        .values("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    return [{"tier": t, "range": t.range_label, "members": counts.get(t.pk, 0)} for t in ladder]


def current_tier(*, program: LoyaltyProgram, profile=None, card=None):
    """The tier the profile or card holds in the program's active structure (or None)."""
    structure = active_structure(program.pk)
    if structure is None:
        return None
    owner = {"account__profile": profile} if profile is not None else {"account__card": card}
    assignment = (
        TierAssignment.objects.filter(structure=structure, account__subledger_id="", **owner)
        .select_related("tier")
        .first()
    )
    return assignment.tier if assignment else None
