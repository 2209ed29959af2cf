"""Writes made for a whole checkout session at once: several earns into one (sub)ledger in one
write, and taking back an earn's points that are still pending. Both are what the single
writes in writes.py would do, in fewer round trips."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.db import insert_rows
from customers.models import CustomerProfile
from organizations.tenancy import Actor

from ..models import (
    LoyaltyCard,
    LoyaltyProgram,
    PointsAccount,
    PointsAllocation,
    PointsLot,
    PointsTransaction,
)
from .settle import after_change, save_balances, settle_account
from .writes import EARN_KINDS, Kind, _count_in, _validity, _Write


@dataclass(frozen=True)
class Earning:
    """One earn of a batch (earn_points_batch)."""

    amount: int
    reason: str = ""
    activates_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


@transaction.atomic(savepoint=False)  # in a caller's transaction: one less round trip each way
def earn_points_batch(
    *,
    program: LoyaltyProgram,
    earnings: Sequence[Earning],
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    subledger_id: str = "",
    kind: str = Kind.MANUAL,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> list[PointsTransaction]:
    """Several earns into one (sub)ledger, written as earn_points would write them one after
    the other, with one lock, one settle, one balance write and one tier update, and the
    transactions and lots inserted in two COPYs (a session's effects)."""
    if not earnings:
        return []
    now = now or timezone.now()
    write = _Write(
        program=program,
        profile=profile,
        card=card,
        subledger_id=subledger_id,
        kind=kind,
        reason="",
        reference="",
        actor=actor or Actor(),
        now=now,
    )
    windows = []
    for earning in earnings:
        write.check(earning.amount, EARN_KINDS, "earned")
        activates_at, expires_at = _validity(program, now, earning.activates_at, earning.expires_at)
        if expires_at is not None and expires_at <= now:
            raise ValidationError({"expires_at": "Points cannot be earned already expired."})
        windows.append((activates_at, expires_at))
    account, _ = write.open(sum(e.amount for e in earnings))
    txns = [
        PointsTransaction(
            organization_id=program.organization_id,
            program=program,
            account=account,
            amount=earning.amount,
            kind=kind,
            reason=earning.reason,
            reference="",
            activates_at=activates_at,
            expires_at=expires_at,
            created_by=write.actor.user,
            api_key=write.actor.api_key,
            created_at=now,
        )
        for earning, (activates_at, expires_at) in zip(earnings, windows, strict=True)
    ]
    insert_rows(PointsTransaction, txns)
    lots = [lot for txn in txns if (lot := _count_in(account, txn, now)) is not None]
    insert_rows(PointsLot, lots)
    save_balances(account)
    after_change(account, now=now, activity="earning")
    return txns


@transaction.atomic
def take_pending_points(
    *,
    earned: PointsTransaction,
    amount: int,
    reason: str,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> tuple[PointsTransaction | None, int]:
    """Take back up to `amount` of an earn's points that are still pending (a canceled or
    returned purchase whose points have not become active yet): its lot gives them up, so they
    never become active. Returns the deduction (None if nothing was pending) and how many
    points it took; what is already active is for spend_points."""
    now = now or timezone.now()
    account = PointsAccount.objects.select_for_update().get(pk=earned.account_id)
    settle_account(account, now=now)
    lot = PointsLot.objects.filter(transaction=earned, counted_as="pending").first()
    taken = min(amount, lot.remaining) if lot is not None else 0
    if taken <= 0:
        return None, 0
    txn = PointsTransaction.objects.create(
        organization_id=earned.organization_id,
        program_id=earned.program_id,
        account=account,
        amount=-taken,
        kind=earned.kind,
        reason=reason,
        reference="",
        created_by=(actor or Actor()).user,
        api_key=(actor or Actor()).api_key,
        created_at=now,
    )
    PointsAllocation.objects.create(transaction=txn, lot=lot, amount=taken, created_at=now)
    lot.remaining -= taken
    lot.save(update_fields=["remaining"])
    account.pending_points -= taken
    account.spent_points += taken
    save_balances(account)
    return txn, taken
