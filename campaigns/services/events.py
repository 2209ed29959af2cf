"""Events (`POST /events`): a customer did something; the program's event rules for its type
earn points. `dry=True` answers the effects and saves nothing."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import CustomerProfile
from loyalty.models import PointsTransaction
from organizations.models import Organization
from organizations.tenancy import Actor

from .. import engine
from ..conditions import Facts
from ..models import AppliedEffect, CustomerEvent, EarningRule
from .points import apply_planned
from .sessions import _run


@dataclass
class EventResult:
    event: CustomerEvent
    effects: list[AppliedEffect] = field(default_factory=list)


def track_event(
    *,
    organization: Organization,
    profile: str,
    type: str,
    attributes: Mapping | None = None,
    dry: bool = False,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> EventResult:
    now = now or timezone.now()
    customer = CustomerProfile.objects.filter(
        organization=organization, integration_id=profile
    ).first()
    if customer is None:
        raise ValidationError({"profile": "No customer profile with this integration_id."})

    def work():
        event = CustomerEvent.objects.create(
            organization=organization,
            profile=customer,
            type=type,
            attributes=dict(attributes or {}),
            created_at=now,
        )
        rules = engine.active_rules(
            organization=organization,
            trigger=EarningRule.Trigger.EVENT,
            now=now,
            event_type=type,
        )
        planned = engine.plan(
            rules=rules,
            profile=customer,
            facts=Facts(event_attributes=event.attributes),
            lines=[],
        )
        effects = apply_planned(
            planned,
            profile=customer,
            kind=PointsTransaction.Kind.EVENT,
            owner={"event": event},
            actor=actor,
            now=now,
        )
        return EventResult(event=event, effects=effects)

    return _run(dry, work)
