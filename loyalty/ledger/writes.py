"""Ledger writes: earn, spend and adjust points. Each locks the account's balance row, settles
what is due first (settle.py), records the transaction and its lot or allocations, and lets
the tier follow."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ConflictError
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
from .settle import after_change, cover_debt, save_balances, settle_account

Kind = PointsTransaction.Kind
MAX_AMOUNT = 10**12
EARN_KINDS = {Kind.MANUAL, Kind.SESSION, Kind.EVENT, Kind.IMPORT}
SPEND_KINDS = {Kind.MANUAL, Kind.SESSION, Kind.EVENT, Kind.IMPORT, Kind.REDEEM}


class InsufficientPoints(ValidationError):
    pass


def _check_owner(program: LoyaltyProgram, profile, card) -> None:
    if (profile is None) == (card is None):
        raise ValidationError("Give either a customer profile or a loyalty card.")
    if program.status != LoyaltyProgram.Status.ACTIVE:
        raise ValidationError({"program": "This loyalty program is archived."})
    if profile is not None:
        if program.kind != LoyaltyProgram.Kind.PROFILE:
            raise ValidationError({"program": "This is a card-based program; use a card."})
        if profile.organization_id != program.organization_id:
            raise ValidationError({"integration_id": "No such customer profile."})
    if card is not None:
        if card.program_id != program.pk:
            raise ValidationError({"card": "This card belongs to another program."})
        if card.status != LoyaltyCard.Status.ACTIVE:
            raise ValidationError({"card": "This card is inactive."})


def _check_subledger(program: LoyaltyProgram, subledger_id: str) -> None:
    if subledger_id and not program.subledgers_allowed:
        raise ValidationError({"subledger_id": "This program has no subledgers."})


def _check_amount(amount) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise ValidationError({"amount": f"Send a whole number of points from 1 to {MAX_AMOUNT}."})


def lock_account(
    *,
    program: LoyaltyProgram,
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    subledger_id: str = "",
) -> PointsAccount:
    """The account's balance row, created if needed, locked until the transaction ends."""
    owner = {"profile": profile} if profile is not None else {"card": card}
    locked = PointsAccount.objects.select_for_update()
    try:
        return locked.get(program=program, subledger_id=subledger_id, **owner)
    except PointsAccount.DoesNotExist:
        account, _ = PointsAccount.objects.get_or_create(  # safe against a concurrent create
            program=program,
            subledger_id=subledger_id,
            **owner,
            defaults={"organization_id": program.organization_id},
        )
        return locked.get(pk=account.pk)


def _existing_for_reference(
    program: LoyaltyProgram, reference: str, account: PointsAccount, amount: int, kind: str
) -> PointsTransaction | None:
    if not reference:
        return None
    found = PointsTransaction.objects.filter(program=program, reference=reference).first()
    if found is None:
        return None
    if (found.account_id, found.amount, found.kind) != (account.pk, amount, kind):
        raise ConflictError(
            f"Reference “{reference}” was already used for another points transaction."
        )
    return found


def _record(**fields) -> PointsTransaction:
    if not fields.get("reference"):
        return PointsTransaction.objects.create(**fields)
    try:  # a concurrent write with the same reference on another account
        with transaction.atomic():
            return PointsTransaction.objects.create(**fields)
    except IntegrityError as exc:
        raise ConflictError(
            f"Reference “{fields.get('reference')}” was already used for another points "
            "transaction."
        ) from exc


def _validity(program: LoyaltyProgram, now: dt.datetime, activates_at, expires_at):
    try:
        if activates_at is None:
            activates_at = now + dt.timedelta(days=program.pending_days or 0)
        if expires_at is None and program.points_validity_days:
            expires_at = activates_at + dt.timedelta(days=program.points_validity_days)
    except OverflowError:
        raise ValidationError(
            {"activates_at": "Points would expire after the year 9999; choose an earlier date."}
        ) from None
    if expires_at is not None and expires_at <= activates_at:
        raise ValidationError({"expires_at": "Points must expire after they become active."})
    return activates_at, expires_at


@dataclass(frozen=True)
class _Write:
    """What an earn and a spend share: whose points, in which subledger, as what kind, why,
    by whom and when; and the steps both take."""

    program: LoyaltyProgram
    profile: CustomerProfile | None
    card: LoyaltyCard | None
    subledger_id: str
    kind: str
    reason: str
    reference: str
    actor: Actor
    now: dt.datetime

    def check(self, amount, kinds, verb: str) -> None:
        """What every write checks first: the owner, the subledger, the amount, the kind."""
        _check_owner(self.program, self.profile, self.card)
        _check_subledger(self.program, self.subledger_id)
        _check_amount(amount)
        if self.kind not in kinds:
            raise ValidationError({"kind": f"Points cannot be {verb} as “{self.kind}”."})

    def open(self, amount: int) -> tuple[PointsAccount, PointsTransaction | None]:
        """Lock the account for a write of `amount` (signed). A retry of a write with the same
        `reference` gets that transaction back and nothing else happens; otherwise the account
        is settled first, so its counters and lots are exact now."""
        account = lock_account(
            program=self.program,
            profile=self.profile,
            card=self.card,
            subledger_id=self.subledger_id,
        )
        existing = _existing_for_reference(self.program, self.reference, account, amount, self.kind)
        if existing is None:
            settle_account(account, now=self.now)
        return account, existing

    def record(self, account: PointsAccount, amount: int, **fields) -> PointsTransaction:
        return _record(
            organization_id=self.program.organization_id,
            program=self.program,
            account=account,
            amount=amount,
            kind=self.kind,
            reason=self.reason,
            reference=self.reference,
            **fields,
            created_by=self.actor.user,
            api_key=self.actor.api_key,
            created_at=self.now,
        )


@transaction.atomic
def earn_points(
    *,
    program: LoyaltyProgram,
    amount: int,
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    subledger_id: str = "",
    kind: str = Kind.MANUAL,
    reason: str = "",
    reference: str = "",
    activates_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> PointsTransaction:
    """Add `amount` points: pending until `activates_at` (default: now + the program's
    pending days), active until `expires_at` (default: activation + the validity days)."""
    now = now or timezone.now()
    write = _Write(
        program=program,
        profile=profile,
        card=card,
        subledger_id=subledger_id,
        kind=kind,
        reason=reason,
        reference=reference,
        actor=actor or Actor(),
        now=now,
    )
    write.check(amount, EARN_KINDS, "earned")
    activates_at, expires_at = _validity(program, now, activates_at, expires_at)
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "Points cannot be earned already expired."})
    account, existing = write.open(amount)
    if existing is not None:
        return existing
    txn = write.record(account, amount, activates_at=activates_at, expires_at=expires_at)
    lot = _count_in(account, txn, now)
    if lot is not None:
        lot.save(force_insert=True)
    save_balances(account)
    after_change(account, now=now, activity="earning")
    return txn


def _count_in(account: PointsAccount, txn: PointsTransaction, now) -> PointsLot | None:
    """The lot that holds an earn's points, counted in the account's balances. Returned
    unsaved for the caller to insert, or None when it was saved already (it covered an
    overdraft, whose allocations need it first)."""
    active_now = txn.activates_at <= now
    lot = PointsLot(
        organization_id=txn.organization_id,
        program_id=txn.program_id,
        account=account,
        transaction=txn,
        amount=txn.amount,
        remaining=txn.amount,
        activates_at=txn.activates_at,
        expires_at=txn.expires_at,
        counted_as="active" if active_now else "pending",
        created_at=now,
    )
    if not active_now:
        account.pending_points += txn.amount
        return lot
    account.active_points += txn.amount
    if account.debt_points > 0:
        cover_debt(account, lot, now, save_lot=True)
        return None
    return lot


@transaction.atomic
def spend_points(
    *,
    program: LoyaltyProgram,
    amount: int,
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    subledger_id: str = "",
    kind: str = Kind.REDEEM,
    reason: str = "",
    reference: str = "",
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> PointsTransaction:
    """Take `amount` active points, soonest-expiring first (never-expiring last).

    Rejects an overdraft unless the program allows a negative balance; the uncovered part of
    an allowed overdraft is covered by the next points that become active.
    """
    now = now or timezone.now()
    write = _Write(
        program=program,
        profile=profile,
        card=card,
        subledger_id=subledger_id,
        kind=kind,
        reason=reason,
        reference=reference,
        actor=actor or Actor(),
        now=now,
    )
    write.check(amount, SPEND_KINDS, "spent")
    account, existing = write.open(-amount)
    if existing is not None:
        return existing
    if amount > account.active_points and not program.allow_negative_balance:
        raise InsufficientPoints(
            {
                "amount": f"Only {max(account.active_points, 0):,} active points; "
                f"cannot spend {amount:,}."
            }
        )
    txn = write.record(account, -amount)
    lots = (
        PointsLot.objects.filter(account=account, counted_as="active", remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "id")
        .only("id", "remaining")
    )
    left = amount
    allocations, changed = [], []
    batch = 8  # most spends touch one or two lots; fetch more only when needed
    while left > 0:
        fetched = list(lots[len(changed) : len(changed) + batch])
        for lot in fetched:
            take = min(left, lot.remaining)
            lot.remaining -= take
            left -= take
            changed.append(lot)
            allocations.append(
                PointsAllocation(transaction=txn, lot_id=lot.pk, amount=take, created_at=now)
            )
            if left == 0:
                break
        if len(fetched) < batch:
            break
        batch *= 4
    PointsAllocation.objects.bulk_create(allocations)
    if len(changed) == 1:
        PointsLot.objects.filter(pk=changed[0].pk).update(remaining=changed[0].remaining)
    elif changed:
        PointsLot.objects.bulk_update(changed, ["remaining"])
    account.active_points -= amount
    account.spent_points += amount
    account.debt_points += left
    save_balances(account)
    after_change(account, now=now, activity="spending")
    return txn


def adjust_points(
    *,
    program: LoyaltyProgram,
    amount: int,
    reason: str,
    profile: CustomerProfile | None = None,
    card: LoyaltyCard | None = None,
    subledger_id: str = "",
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> PointsTransaction:
    """A manual correction by staff: positive adds points, negative removes them."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the points are adjusted."})
    if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
        return spend_points(
            program=program,
            amount=-amount,
            profile=profile,
            card=card,
            subledger_id=subledger_id,
            kind=Kind.MANUAL,
            reason=reason,
            actor=actor,
            now=now,
        )
    return earn_points(
        program=program,
        amount=amount,
        profile=profile,
        card=card,
        subledger_id=subledger_id,
        kind=Kind.MANUAL,
        reason=reason,
        actor=actor,
        now=now,
    )
