"""Writing planned effects to the ledger, and taking them back: the one place where sessions
and events move points. Every effect is one ledger transaction of kind `session` or `event`,
and its AppliedEffect row names the session or event, the rule and the transaction."""

import datetime as dt

from core.db import insert_rows
from loyalty import ledger
from loyalty.models import PointsAccount
from organizations.tenancy import Actor

from ..engine import Planned
from ..models import AppliedEffect

Type = AppliedEffect.Type


def _validity(planned: Planned, now: dt.datetime) -> dict:
    """The effect's own pending days and validity, where it overrides the program's."""
    activates_at = expires_at = None
    if planned.pending_days is not None:
        activates_at = now + dt.timedelta(days=planned.pending_days)
    if planned.validity_days is not None:
        expires_at = (activates_at or now) + dt.timedelta(days=planned.validity_days)
    return {"activates_at": activates_at, "expires_at": expires_at}


def apply_planned(
    planned: list[Planned], *, profile, kind: str, owner: dict, actor: Actor | None, now
) -> list[AppliedEffect]:
    """Earn each planned effect (one transaction each; one ledger write per (sub)ledger, in
    order); `owner` is {"session": s} or {"event": e}."""
    ledgers: dict = {}
    for plan in planned:
        ledgers.setdefault((plan.program.pk, plan.subledger_id), []).append(plan)
    # a card-based program credits the card, a profile-based one the profile
    transactions = {}
    for plans in ledgers.values():
        earnings = [
            ledger.Earning(amount=plan.amount, reason=plan.reason, **_validity(plan, now))
            for plan in plans
        ]
        card = plans[0].card
        written = ledger.earn_points_batch(
            program=plans[0].program,
            profile=None if card else profile,
            card=card,
            subledger_id=plans[0].subledger_id,
            earnings=earnings,
            kind=kind,
            actor=actor,
            now=now,
        )
        transactions.update(zip(map(id, plans), written, strict=True))
    effects = [
        AppliedEffect(
            organization_id=plan.program.organization_id,
            rule=plan.rule,
            rule_name=plan.rule.name,
            program=plan.program,
            type=Type.ADD_POINTS,
            subledger_id=plan.subledger_id,
            amount=plan.amount,
            reason=plan.reason,
            item_points={str(k): v for k, v in plan.item_points.items()},
            transaction=transactions[id(plan)],
            created_at=now,
            **owner,
        )
        for plan in planned
    ]
    insert_rows(AppliedEffect, effects)
    return effects


def _available(effect: AppliedEffect, owner: dict) -> int:
    balance = (
        PointsAccount.objects.filter(
            program=effect.program, subledger_id=effect.subledger_id, **owner
        )
        .values_list("active_points", flat=True)
        .first()
    )
    return max(balance or 0, 0)


def take_back(
    effect: AppliedEffect,
    amount: int,
    *,
    profile,
    reason: str,
    actor: Actor | None,
    now,
    item_points: dict | None = None,
) -> list[AppliedEffect]:
    """Deduct up to `amount` of what `effect` added: points still pending are given up by
    their lot, the rest is spent, each a ledger transaction with its own deduct effect.
    Points already spent: the program's negative-balance rule decides (allowed: the balance
    goes below 0; not: it stops at 0 and the rest is recorded as `shortfall`)."""
    if amount <= 0:
        return []
    account = effect.transaction.account if effect.transaction else None
    owner = {"card": account.card} if account and account.card_id else {"profile": profile}
    common = {
        "program": effect.program,
        **owner,
        "subledger_id": effect.subledger_id,
        "kind": effect.transaction.kind if effect.transaction else ledger.Kind.SESSION,
        "reason": reason,
        "actor": actor,
        "now": now,
    }
    parts = []  # (ledger transaction, points it took back)
    from_pending = 0
    if effect.transaction is not None:  # points not active yet are given up by their lot
        pending_txn, from_pending = ledger.take_pending_points(
            earned=effect.transaction, amount=amount, reason=reason, actor=actor, now=now
        )
        if pending_txn is not None:
            parts.append((pending_txn, from_pending))
    rest = amount - from_pending
    if rest:
        try:
            parts.append((ledger.spend_points(amount=rest, **common), rest))
        except ledger.InsufficientPoints:
            rest = min(rest, _available(effect, owner))
            if rest:
                parts.append((ledger.spend_points(amount=rest, **common), rest))
    shortfall = amount - sum(points for _, points in parts)
    parts = parts or [(None, 0)]  # nothing to take: the shortfall is still recorded
    deductions = []
    for n, (txn, points) in enumerate(parts):  # one effect per ledger transaction
        deductions.append(
            AppliedEffect.objects.create(
                organization_id=effect.organization_id,
                session=effect.session,
                event=effect.event,
                rule=effect.rule,
                rule_name=effect.rule_name,
                program=effect.program,
                type=Type.DEDUCT_POINTS,
                subledger_id=effect.subledger_id,
                amount=points,
                shortfall=shortfall if n == len(parts) - 1 else 0,
                reason=reason,
                item_points=(item_points or {}) if n == 0 else {},  # counted once
                transaction=txn,
                reverses=effect,
                created_at=now,
            )
        )
    return deductions


def still_held(effect: AppliedEffect, reversals: list[AppliedEffect]) -> int:
    """What is left of an add after the deductions (and shortfalls) that took it back."""
    return effect.amount - sum(r.amount + r.shortfall for r in reversals)
