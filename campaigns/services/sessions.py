"""Customer sessions: create or update a cart, close it (the rules earn points), reopen it,
return items, cancel it. The one way in for the API, the admin's dry run and the dialects.

States: open → closed → canceled | partially_returned (→ canceled), closed → open by
reopening. The session row is locked for the whole request, so two concurrent closes apply the
effects once. A re-sent close with the same content changes nothing; a close after a reopen
with another cart takes back the earlier effects and applies the new ones. `dry=True` runs
everything and rolls it back: the answer says what would happen, nothing is saved.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.db import claim_row, insert_rows, new_instances
from core.errors import BatchValidationError, ConflictError
from customers.models import CustomerProfile
from loyalty.models import LoyaltyCard, LoyaltyProgram, PointsTransaction
from organizations.models import Organization
from organizations.tenancy import Actor

from .. import engine
from ..effects import Line
from ..models import AppliedEffect, CartItem, CustomerSession, EarningRule, SessionStateChange
from .points import apply_planned, still_held, take_back

State = CustomerSession.State
MAX_ITEMS = 1000
ITEM_FIELDS = ("sku", "name", "quantity", "price", "category", "attributes")
# from -> states a PUT may move the session to
MOVES = {
    None: {State.OPEN, State.CLOSED},
    State.OPEN: {State.OPEN, State.CLOSED, State.CANCELED},
    State.CLOSED: {State.CLOSED, State.CANCELED},
    State.PARTIALLY_RETURNED: {State.CANCELED},
    State.CANCELED: set(),
}


@dataclass
class SessionResult:
    """A session as it is after the request, with what this request did."""

    session: CustomerSession
    items: list[CartItem]
    effects: list[AppliedEffect] = field(default_factory=list)  # applied by this request
    created: bool = False


CONTENT_FIELDS = ("attributes", "loyalty_cards", "store_id")


def _item_key(item: Mapping) -> list:
    """A cart line as the fingerprint sees it, whether it came from a request or the table."""
    return [
        item["sku"],
        item.get("name") or "",
        item["quantity"],
        str(Decimal(str(item["price"])).normalize()),
        item.get("category") or "",
        item.get("attributes") or {},
    ]


def _fingerprint(data: Mapping) -> str:
    raw = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _lock(organization: Organization, session_id: str) -> tuple[CustomerSession | None, bool]:
    """The session, locked for this transaction (None if it does not exist yet)."""
    session = (
        CustomerSession.objects.select_for_update()
        .filter(organization=organization, session_id=session_id)
        .first()
    )
    if session is not None:
        session.organization = organization  # known: no query to read it again
    return session, session is not None


def _profile(organization, integration_id) -> CustomerProfile | None:
    if integration_id in (None, ""):
        return None
    profile = CustomerProfile.objects.filter(
        organization=organization, integration_id=integration_id
    ).first()
    if profile is None:
        raise ValidationError({"profile": "No customer profile with this integration_id."})
    return profile


def _check_cards(organization, identifiers: Sequence[str]) -> None:
    repeated = next((i for i in identifiers if identifiers.count(i) > 1), None)
    if repeated is not None:
        raise ValidationError({"loyalty_cards": f"{repeated!r} is listed twice."})
    known = set(
        LoyaltyCard.objects.filter(
            organization=organization, identifier__in=list(identifiers)
        ).values_list("identifier", flat=True)
    )
    unknown = [identifier for identifier in identifiers if identifier not in known]
    if unknown:
        raise ValidationError({"loyalty_cards": f"No loyalty card {unknown[0]!r}."})


def _moved(session: CustomerSession, before: str | None, now) -> None:
    SessionStateChange.objects.create(
        session=session, from_state=before or "", to_state=session.state, changed_at=now
    )


def _lines(items: Sequence[CartItem]) -> list[Line]:
    return [
        Line(
            position=item.position,
            sku=item.sku,
            category=item.category,
            amount=item.price * item.quantity,
        )
        for item in items
    ]


def _set_totals(session: CustomerSession, cart_items: Sequence[Mapping]) -> None:
    prices = [(Decimal(str(item["price"])), item["quantity"]) for item in cart_items]
    session.total = sum((price * quantity for price, quantity in prices), Decimal(0))
    session.items_count = sum(quantity for _, quantity in prices)


def _replace_items(
    session: CustomerSession, cart_items: Sequence[Mapping], *, fresh: bool
) -> list[CartItem]:
    if not fresh:
        session.items.all().delete()
    items = new_instances(
        CartItem,
        (
            {
                "session_id": session.pk,
                "position": position,
                "sku": item["sku"],
                "name": item.get("name") or "",
                "quantity": item["quantity"],
                "price": Decimal(str(item["price"])),
                "category": item.get("category") or "",
                "attributes": item.get("attributes") or {},
            }
            for position, item in enumerate(cart_items)
        ),
    )
    insert_rows(CartItem, items)
    return items


def _live_adds(session: CustomerSession) -> list[tuple[AppliedEffect, int]]:
    """(add effect, points it still holds) for the session's adds not fully taken back."""
    effects = list(
        AppliedEffect.objects.filter(session=session).select_related(
            "program", "transaction__account__card", "session"
        )
    )
    reversals: dict = {}
    for effect in effects:
        if effect.reverses_id:
            reversals.setdefault(effect.reverses_id, []).append(effect)
    held = [
        (e, still_held(e, reversals.get(e.pk, [])))
        for e in effects
        if e.type == AppliedEffect.Type.ADD_POINTS
    ]
    return [(e, n) for e, n in held if n > 0]


def _take_back(live, profile, reason, actor, now) -> list[AppliedEffect]:
    taken = []
    for effect, held in live:
        taken += take_back(effect, held, profile=profile, reason=reason, actor=actor, now=now)
    return taken


def _close(session, items, profile, actor, now) -> list[AppliedEffect]:
    rules = engine.active_rules(
        organization=session.organization, trigger=EarningRule.Trigger.SESSION_CLOSED, now=now
    )
    lines = _lines(items)
    facts = engine.session_facts(
        lines=lines,
        quantities=session.items_count,
        attributes=session.attributes,
        store_id=session.store_id,
    )
    cards = {}
    if session.loyalty_cards:
        for card in LoyaltyCard.objects.filter(
            organization=session.organization_id,
            identifier__in=session.loyalty_cards,
            program__kind=LoyaltyProgram.Kind.CARD,
        ).order_by("identifier"):
            cards.setdefault(card.program_id, card)
    planned = engine.plan(rules=rules, profile=profile, facts=facts, lines=lines, cards=cards)
    return apply_planned(
        planned,
        profile=profile,
        kind=PointsTransaction.Kind.SESSION,
        owner={"session": session},
        actor=actor,
        now=now,
    )


def _run(dry: bool, work):
    """`work()` in a transaction; rolled back when `dry` (its answer is kept)."""
    with transaction.atomic():
        result = work()
        if dry:
            transaction.set_rollback(True)
    return result


def update_customer_session(
    *,
    organization: Organization,
    session_id: str,
    data: Mapping,
    dry: bool = False,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> SessionResult:
    """Create or update a session (`data`: profile, state, cart_items, attributes,
    loyalty_cards, store_id; fields left out keep their value)."""
    now = now or timezone.now()

    return _run(dry, lambda: _update(organization, session_id, data, actor, now))


def _target(before: str | None, data: Mapping) -> str:
    """The state the request moves the session to, if that move is allowed."""
    target = data.get("state", before or State.OPEN)
    if target not in MOVES[before]:
        if before == State.CLOSED and target == State.OPEN:
            raise ConflictError("This session is closed: reopen it to change it.", "closed")
        raise ConflictError(f"A {before or 'new'} session cannot become {target}.", "state")
    return target


def _content(session: CustomerSession, existed: bool, data: Mapping, profile) -> dict:
    """What the session is made of once the request applies: a field left out keeps its
    value. Its fingerprint tells a re-sent close from a changed one."""
    items = data.get("cart_items", [])
    if existed and "cart_items" not in data:
        items = session.items.values(*ITEM_FIELDS)
    return {
        "profile": profile.pk if profile else None,
        "cart_items": [_item_key(item) for item in items],
        **{key: data.get(key, getattr(session, key)) for key in CONTENT_FIELDS},
    }


def _take_in(session: CustomerSession, data: Mapping, profile, target: str, content, now) -> None:
    """Set on the session what the request changes (not saved)."""
    session.profile = profile
    for key in CONTENT_FIELDS:
        if key in data:
            setattr(session, key, data[key])
    session.state = target
    if target == State.CLOSED:
        session.closed_fingerprint, session.closed_at = _fingerprint(content), now
    if "cart_items" in data:
        _set_totals(session, data["cart_items"])


def _update(organization, session_id, data, actor, now) -> SessionResult:
    given = _profile(organization, data["profile"]) if "profile" in data else None
    if "loyalty_cards" in data:
        _check_cards(organization, data["loyalty_cards"])
    # claimed as the request makes it if it is new, so that a new session is written once
    new = CustomerSession(organization=organization, session_id=session_id)
    if (state := data.get("state", State.OPEN)) in MOVES[None]:
        _take_in(new, data, given, state, _content(new, False, data, given), now)
    session, created = claim_row(new, unique=("organization", "session_id"))
    session.organization = organization  # known: no query to read it again
    before = None if created else session.state
    target = _target(before, data)
    profile = given if "profile" in data or created else session.profile
    session.profile = profile
    live, reapply = [], target == State.CLOSED
    if not created:
        content = _content(session, True, data, profile)
        if before == State.CLOSED and target == State.CLOSED:
            if _fingerprint(content) == session.closed_fingerprint:
                return SessionResult(session=session, items=list(session.items.all()))
            raise ConflictError("This session is closed: reopen it to change it.", "closed")
        if target == State.CANCELED:
            return _cancel(session, profile, actor, now)
        last_close = session.closed_fingerprint
        _take_in(session, data, profile, target, content, now)
        if target == State.CLOSED:
            live = _live_adds(session)
            # a first close, or a close after a reopen with another cart (whose effects go
            # first)
            reapply = session.closed_fingerprint != last_close or not live
        session.save()
    if before != target:
        _moved(session, before, now)
    items = (
        _replace_items(session, data["cart_items"], fresh=created)
        if "cart_items" in data
        else list(session.items.all())
    )
    result = SessionResult(session=session, items=items, created=created)
    if reapply:
        reason = "Session changed after reopening"
        result.effects += _take_back(live, profile, reason, actor, now)
        result.effects += _close(session, items, profile, actor, now)
    return result


def _cancel(session, profile, actor, now) -> SessionResult:
    live = _live_adds(session)
    effects = _take_back(live, session.profile or profile, "Session canceled", actor, now)
    before, session.state = session.state, State.CANCELED
    session.save()
    _moved(session, before, now)
    return SessionResult(session=session, items=list(session.items.all()), effects=effects)


def get_customer_session(*, organization: Organization, session_id: str) -> SessionResult:
    session = (
        CustomerSession.objects.filter(organization=organization, session_id=session_id)
        .select_related("profile")
        .first()
    )
    if session is None:
        raise CustomerSession.DoesNotExist(session_id)
    effects = list(AppliedEffect.objects.filter(session=session).select_related("program"))
    return SessionResult(session=session, items=list(session.items.all()), effects=effects)


def reopen_customer_session(
    *, organization: Organization, session_id: str, dry: bool = False
) -> SessionResult:
    """closed → open. Its effects stay until it is closed again: the same cart keeps them, a
    changed one takes them back and earns anew."""

    def work():
        session, existed = _lock(organization, session_id)
        if not existed:
            raise CustomerSession.DoesNotExist(session_id)
        if session.state != State.CLOSED:
            raise ConflictError(
                f"Only a closed session can be reopened; this one is {session.state}."
            )
        session.state = State.OPEN
        session.save()
        _moved(session, State.CLOSED, timezone.now())
        return SessionResult(session=session, items=list(session.items.all()))

    return _run(dry, work)


def return_cart_items(
    *,
    organization: Organization,
    session_id: str,
    returned: Sequence[Mapping],
    dry: bool = False,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> SessionResult:
    """Take back, for each returned quantity, the points its cart line earned in proportion
    (rounded down per line over all its returns, so returning 1 then 1 takes what returning 2
    would)."""
    now = now or timezone.now()

    def work():
        session, existed = _lock(organization, session_id)
        if not existed:
            raise CustomerSession.DoesNotExist(session_id)
        if session.state not in (State.CLOSED, State.PARTIALLY_RETURNED):
            raise ConflictError(
                f"Only a closed session takes returns; this one is {session.state}."
            )
        items = {item.position: item for item in session.items.all()}
        errors, wanted = {}, {}
        for index, entry in enumerate(returned):
            item = items.get(entry["position"])
            already = wanted.get(entry["position"], 0)
            if item is None:
                errors[index] = {"position": ["No cart item at this position."]}
            elif entry["quantity"] + already > item.quantity - item.returned_quantity:
                left = item.quantity - item.returned_quantity - already
                errors[index] = {"quantity": [f"At most {left} of this item can be returned."]}
            else:
                wanted[entry["position"]] = already + entry["quantity"]
        if errors:
            raise BatchValidationError(errors)
        effects = []
        for effect, held in _live_adds(session):
            per_line = {}
            for position, quantity in wanted.items():
                earned = int(effect.item_points.get(str(position), 0))
                item = items[position]
                before = _share(earned, item.returned_quantity, item.quantity)
                after = _share(earned, item.returned_quantity + quantity, item.quantity)
                if after > before:
                    per_line[str(position)] = after - before
            amount = min(sum(per_line.values()), held)
            effects += take_back(
                effect,
                amount,
                profile=session.profile,
                reason="Items returned",
                actor=actor,
                now=now,
                item_points=per_line,
            )
        for position, quantity in wanted.items():
            items[position].returned_quantity += quantity
        CartItem.objects.bulk_update([items[p] for p in wanted], ["returned_quantity"])
        before, session.state = session.state, State.PARTIALLY_RETURNED
        session.save()
        if before != session.state:
            _moved(session, before, now)
        return SessionResult(session=session, items=list(items.values()), effects=effects)

    return _run(dry, work)


def _share(points: int, returned: int, quantity: int) -> int:
    if not quantity:
        return 0
    return int((Decimal(points) * returned / quantity).to_integral_value(ROUND_DOWN))
