"""Tier assignment: which tier of the program's active structure each profile or card holds.

Rules (Voucherify's settings, our reading of them):
- Qualifying points: the active balance of the main ledger (POINT_BALANCE), or the points
  earned in the main ledger within the structure's period up to now (POINT_EARNED). The
  qualifying tier is the highest tier whose `min_points` the customer reaches (a customer in a
  gap between two ranges stays in the lower one); below the lowest tier there is no tier.
- Upgrades apply at once.
- The expiration rule says until when a reached tier is held: NO_EXPIRATION (re-checked on every
  change), ROLLING (a period after reaching it), CALENDAR (until the next calendar date),
  SLIDING (a period after the last activity of the kinds the structure counts). A customer who
  still qualifies when the tier expires keeps it for a new period.
- The downgrade rule says what happens when a held tier is no longer qualified for:
  NO_DOWNGRADE keeps it; ONE_LEVEL drops one tier at a time (the next step waits for the new
  tier's expiration or grace period); MULTI_LEVEL drops straight to the qualifying tier. A grace
  period delays a due downgrade (rounded up to the end of its unit if `round_up`).
Every change is written to `TierChange`. `recompute_tier` is idempotent: with the same clock it
reaches a fixed point, so running it twice changes nothing.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from .models import (
    LoyaltyProgram,
    PointsAccount,
    PointsTransaction,
    Tier,
    TierAssignment,
    TierChange,
    TierStructure,
)
from .periods import add_period, next_calendar_date, round_up, subtract_period

E = TierStructure.ExpirationType
D = TierStructure.DowngradeType
Reason = TierChange.Reason
RECOMPUTE_BATCH = 500


def active_structure(program_id) -> TierStructure | None:
    """The program's ACTIVE structure with its `ladder` (tiers by order), in one query; None
    when there is none (or it has no tiers left)."""
    tiers = list(
        Tier.objects.filter(
            structure__program_id=program_id, structure__status=TierStructure.Status.ACTIVE
        ).select_related("structure__program")
    )
    if not tiers:
        return None
    structure = tiers[0].structure
    structure.ladder = sorted(tiers, key=lambda t: t.order)
    return structure


def qualifying_tier(ladder: list[Tier], points: int) -> Tier | None:
    reached = [t for t in ladder if t.min_points <= points]
    return max(reached, key=lambda t: t.order) if reached else None


def earned_since(structure: TierStructure, now: dt.datetime) -> dt.datetime:
    return subtract_period(
        now,
        structure.point_earned_period_value,
        structure.point_earned_period_unit,
        structure.program.timezone,
    )


def qualifying_points(structure: TierStructure, account: PointsAccount, now: dt.datetime) -> int:
    if structure.type == TierStructure.Type.POINT_BALANCE:
        return account.active_points
    return PointsTransaction.objects.filter(
        account=account,
        amount__gt=0,
        created_at__gt=earned_since(structure, now),
        created_at__lte=now,
    ).aggregate(total=Sum("amount", default=0))["total"]


def _expiry(structure: TierStructure, start: dt.datetime) -> dt.datetime | None:
    tz = structure.program.timezone
    if structure.expiration_type in (E.ROLLING, E.SLIDING):
        return add_period(
            start, structure.expiration_period_value, structure.expiration_period_unit, tz
        )
    if structure.expiration_type == E.CALENDAR:
        return next_calendar_date(start, structure.calendar_dates, tz)
    return None


def _grace_end(structure: TierStructure, due: dt.datetime) -> dt.datetime:
    if structure.grace_period_value is None:
        return due
    tz = structure.program.timezone
    end = add_period(due, structure.grace_period_value, structure.grace_period_unit, tz)
    if structure.grace_period_round_up:
        end = round_up(end, structure.grace_period_unit, tz)
    return end


def _counts_as_activity(structure: TierStructure, activity: str | None) -> bool:
    if structure.expiration_type != E.SLIDING or activity is None:
        return False
    if activity == "earning":
        return structure.sliding_earning_activity
    if activity == "spending":
        return structure.sliding_spending_activity
    return structure.sliding_custom_activity and activity in structure.sliding_custom_activity_types


def _step(structure, assignment, qualifying, now) -> tuple[Tier | None, str] | None:
    """One evaluation: the tier change to make now (tier, reason), or None. May set the
    assignment's expiry/grace dates in place."""
    ladder = structure.ladder
    current = assignment.tier
    current_order = current.order if current else 0
    qualifying_order = qualifying.order if qualifying else 0
    if qualifying_order > current_order:
        return qualifying, Reason.UPGRADE
    if qualifying_order == current_order:
        assignment.downgrade_at = None
        if assignment.expires_at is not None and assignment.expires_at <= now:
            assignment.expires_at = _expiry(structure, now)  # re-qualified for a new period
        return None
    # holds a tier above what the points qualify for
    if structure.downgrade_type == D.NO_DOWNGRADE:
        assignment.downgrade_at = None
        return None
    expiring = structure.expiration_type != E.NO_EXPIRATION
    due = assignment.expires_at if expiring else now
    if due is None or due > now:
        assignment.downgrade_at = None
        return None
    if assignment.downgrade_at is None:
        assignment.downgrade_at = _grace_end(structure, due)
    if assignment.downgrade_at > now:
        return None
    if structure.downgrade_type == D.ONE_LEVEL:
        lower = [t for t in ladder if t.order < current_order]
        target = max(lower, key=lambda t: t.order) if lower else None
        if qualifying is not None and (target is None or target.order < qualifying.order):
            target = qualifying
    else:
        target = qualifying
    return target, Reason.EXPIRATION if expiring else Reason.DOWNGRADE


def recompute_tier(
    *,
    account: PointsAccount,
    now: dt.datetime | None = None,
    activity: str | None = None,
    structure: TierStructure | None = None,
) -> TierAssignment | None:
    """Bring the account's tier up to date (the account row must be locked by the caller)."""
    now = now or timezone.now()
    structure = structure or active_structure(account.program_id)
    if structure is None:
        return None
    points = qualifying_points(structure, account, now)
    qualifying = qualifying_tier(structure.ladder, points)
    assignment = TierAssignment.objects.filter(account=account).select_related("tier").first()
    changes: list[TierChange] = []

    def change(to_tier, reason):
        from_tier = assignment.tier if assignment else None
        changes.append(
            TierChange(
                organization_id=account.organization_id,
                program_id=account.program_id,
                structure=structure,
                account=account,
                from_tier=from_tier,
                to_tier=to_tier,
                from_tier_name=from_tier.name if from_tier else "",
                to_tier_name=to_tier.name if to_tier else "",
                reason=reason,
                points=points,
                created_at=now,
            )
        )

    if assignment is None or assignment.structure_id != structure.pk:
        # first evaluation under this structure: the customer gets the tier they qualify for
        if qualifying is not None or (assignment is not None and assignment.tier_id is not None):
            change(qualifying, Reason.ACTIVATION)
        assignment = assignment or TierAssignment(
            organization_id=account.organization_id, program_id=account.program_id, account=account
        )
        assignment.structure = structure
        assignment.tier = qualifying
        assignment.since = now
        assignment.last_activity_at = now if activity else None
        assignment.expires_at = _expiry(structure, now) if qualifying else None
        assignment.downgrade_at = None
        assignment.save()
        TierChange.objects.bulk_create(changes)
        return assignment

    before = (
        assignment.tier_id,
        assignment.expires_at,
        assignment.downgrade_at,
        assignment.last_activity_at,
    )
    if structure.expiration_type == E.NO_EXPIRATION:
        assignment.expires_at = None  # the structure stopped expiring tiers
    elif assignment.tier_id is not None and assignment.expires_at is None:
        assignment.expires_at = _expiry(structure, now)  # it started: the period starts now
    if _counts_as_activity(structure, activity):
        assignment.last_activity_at = now
        if assignment.tier_id is not None:
            assignment.expires_at = _expiry(structure, now)
    # a fixed point: ONE_LEVEL may step more than once in a call only if nothing paces it
    for _ in range(len(structure.ladder) + 1):
        step = _step(structure, assignment, qualifying, now)
        if step is None:
            break
        target, reason = step
        change(target, reason)
        assignment.tier = target
        assignment.since = now
        assignment.downgrade_at = None
        assignment.expires_at = _expiry(structure, now) if target else None
    after = (
        assignment.tier_id,
        assignment.expires_at,
        assignment.downgrade_at,
        assignment.last_activity_at,
    )
    if after != before:
        assignment.save()
        TierChange.objects.bulk_create(changes)
    return assignment


def record_activity(
    *, program: LoyaltyProgram, account: PointsAccount, activity_type: str, now=None
) -> TierAssignment | None:
    """A custom activity (e.g. "store_visit") extends a SLIDING tier when the structure counts
    that activity type."""
    with transaction.atomic():
        account = PointsAccount.objects.select_for_update().get(pk=account.pk)
        return recompute_tier(account=account, now=now, activity=activity_type)


def accounts_to_recompute(program: LoyaltyProgram, structure: TierStructure, now, everyone: bool):
    """Main-ledger accounts whose tier may change without a ledger write: everyone after an
    activation or ladder change, and for POINT_EARNED (points leave the window as time
    passes); otherwise only those whose tier expires or whose grace period ends."""
    accounts = PointsAccount.objects.filter(program=program, subledger_id="")
    if everyone or structure.type == TierStructure.Type.POINT_EARNED:
        return accounts
    return accounts.filter(
        Q(tier_assignment__expires_at__lte=now)
        | Q(tier_assignment__downgrade_at__lte=now)
        | ~Q(tier_assignment__structure=structure)
    )


def recompute_program_tiers(
    *, program: LoyaltyProgram, now: dt.datetime | None = None, everyone: bool = False
) -> int:
    """Recompute the tiers that may have changed in a program, in batches of locked accounts
    (pk order, so never a deadlock with ledger writes). Returns the number of accounts seen."""
    now = now or timezone.now()
    structure = active_structure(program.pk)
    if structure is None:
        return 0
    ids = list(
        accounts_to_recompute(program, structure, now, everyone)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        with transaction.atomic():
            batch = (
                PointsAccount.objects.select_for_update()
                .filter(pk__in=ids[start : start + RECOMPUTE_BATCH])
                .order_by("pk")
            )
            for account in batch:
                recompute_tier(account=account, now=now, structure=structure)
    return len(ids)
