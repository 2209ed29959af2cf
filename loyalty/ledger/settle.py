"""Settling due lots: pending points become active, active points expire (recording an
`expiration` transaction for the unspent remainder), newly active points cover an overdraft;
then the tier follows. Called by every write (on its locked account) and by the beat task."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from ..models import PointsAccount, PointsAllocation, PointsLot, PointsTransaction
from ..tiering import recompute_tier

Kind = PointsTransaction.Kind


def _activate(account: PointsAccount, lot: PointsLot, now: dt.datetime) -> None:
    """Move a pending lot to active and let it cover any overdraft (oldest spend first)."""
    account.pending_points -= lot.remaining
    account.active_points += lot.remaining
    lot.counted_as = "active"
    if account.debt_points > 0 and lot.remaining > 0:
        cover_debt(account, lot, now)
    lot.save(update_fields=["counted_as", "remaining"])


def save_balances(account: PointsAccount) -> None:
    account.save(
        update_fields=[
            "active_points",
            "pending_points",
            "expired_points",
            "spent_points",
            "debt_points",
            "updated_at",
        ]
    )


def cover_debt(
    account: PointsAccount, lot: PointsLot, now: dt.datetime, save_lot: bool = False
) -> None:
    """Let a lot that just became active cover the account's overdraft, oldest spend first.
    With `save_lot`, the (new) lot is inserted before its allocations are."""
    spends = (
        PointsTransaction.objects.filter(account=account, amount__lt=0)
        .exclude(kind=Kind.EXPIRATION)
        .annotate(covered=Sum("allocations__amount", default=0))
        .filter(covered__lt=-F("amount"))
        .order_by("created_at", "id")
    )
    allocations = []
    for spend in spends:
        take = min(-spend.amount - spend.covered, lot.remaining, account.debt_points)
        if take <= 0:
            break
        # covered when both existed: the later of the spend and the lot's activation
        covered_at = min(max(lot.activates_at, spend.created_at), now)
        allocations.append(
            PointsAllocation(transaction=spend, lot=lot, amount=take, created_at=covered_at)
        )
        lot.remaining -= take
        account.debt_points -= take
        if lot.remaining == 0 or account.debt_points == 0:
            break
    if save_lot:
        lot.save(force_insert=True)
    PointsAllocation.objects.bulk_create(allocations)


def settle_account(account: PointsAccount, *, now: dt.datetime | None = None) -> bool:
    """Activate and expire the account's due lots (the account must be locked). Idempotent.

    Returns whether anything changed. Expiring a lot records an `expiration` transaction for
    its unspent remainder only; spent points stay spent.
    """
    now = now or timezone.now()
    due = list(
        PointsLot.objects.filter(account=account)
        .filter(
            Q(counted_as="pending", activates_at__lte=now)
            | Q(counted_as__in=("pending", "active"), expires_at__lte=now)
        )
        .order_by("activates_at", "id")
    )
    if not due:
        return False
    for lot in due:
        if lot.counted_as == "pending" and lot.activates_at <= now:
            _activate(account, lot, now)
    expiring = [lot for lot in due if lot.expires_at is not None and lot.expires_at <= now]
    expirations = []
    for lot in expiring:
        field = "pending_points" if lot.counted_as == "pending" else "active_points"
        setattr(account, field, getattr(account, field) - lot.remaining)
        account.expired_points += lot.remaining
        if lot.remaining:
            expirations.append(
                PointsTransaction(
                    organization_id=account.organization_id,
                    program_id=account.program_id,
                    account=account,
                    amount=-lot.remaining,
                    kind=Kind.EXPIRATION,
                    reason="Points expired",
                    reference="",
                    created_at=lot.expires_at,
                )
            )
        lot.remaining = 0
        lot.counted_as = "expired"
    PointsTransaction.objects.bulk_create(expirations)
    PointsLot.objects.bulk_update(expiring, ["remaining", "counted_as"])
    save_balances(account)
    return True


@transaction.atomic
def settle_accounts(*, account_ids, now: dt.datetime | None = None) -> int:
    """Settle many accounts (locked in pk order, so never a deadlock); returns how many
    changed. Tiers of the changed main-ledger accounts are recomputed."""
    now = now or timezone.now()
    changed = 0
    for account in (
        PointsAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")
    ):
        if settle_account(account, now=now):
            changed += 1
            after_change(account, now=now, activity=None)
    return changed


def due_account_ids(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Accounts with a lot to activate or expire."""
    now = now or timezone.now()
    ids = (
        PointsLot.objects.filter(
            Q(counted_as="pending", activates_at__lte=now)
            | Q(counted_as__in=("pending", "active"), expires_at__lte=now)
        )
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    return list(ids[:limit] if limit else ids)


def after_change(account: PointsAccount, *, now: dt.datetime, activity: str | None) -> None:
    if account.subledger_id == "":
        recompute_tier(account=account, now=now, activity=activity)
