"""Earning rules: create, update, delete. Conditions and effects are checked here (the API and
the admin show the same messages)."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from loyalty.models import LoyaltyProgram

from ..conditions import validate_conditions
from ..effects import validate_effects
from ..models import EarningRule

FIELDS = (
    "name",
    "status",
    "starts_at",
    "ends_at",
    "priority",
    "stop_here",
    "trigger",
    "event_type",
    "conditions",
    "effects",
)


def _check(rule: EarningRule) -> None:
    if rule.trigger == EarningRule.Trigger.EVENT and not rule.event_type:
        raise ValidationError({"event_type": "Name the event type this rule listens to."})
    if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
        raise ValidationError({"ends_at": "The rule must end after it starts."})
    rule.conditions = [
        dict(c.__dict__)
        for c in validate_conditions(
            rule.conditions, organization=rule.organization, trigger=rule.trigger
        )
    ]
    rule.effects = validate_effects(rule.effects)
    if not rule.program.subledgers_allowed and any(e.get("subledger_id") for e in rule.effects):
        raise ValidationError(
            {"effects": "This program has no subledgers: leave subledger_id out."}
        )
    rule.full_clean(exclude=["organization", "program"])


def validate_earning_rule(
    *, program: LoyaltyProgram, data: Mapping, rule: EarningRule | None = None
) -> EarningRule:
    """The rule as `data` would make it (a new one, or `rule` changed), checked against
    `program` as given (e.g. its subledgers setting as an admin form posts it), not saved.
    Raises ValidationError naming the field."""
    candidate = copy.copy(rule) if rule is not None else EarningRule(program=program)
    candidate.program = program
    candidate.organization_id = program.organization_id
    candidate.organization = program.organization
    for key in FIELDS:
        if key in data:
            setattr(candidate, key, data[key])
    _check(candidate)
    return candidate


@transaction.atomic
def create_earning_rule(*, program: LoyaltyProgram, data: Mapping) -> EarningRule:
    rule = validate_earning_rule(program=program, data=data)
    rule.save()
    return rule


@transaction.atomic
def update_earning_rule(*, rule: EarningRule, data: Mapping) -> EarningRule:
    rule = validate_earning_rule(program=rule.program, data=data, rule=rule)
    rule.save()
    return rule


def delete_earning_rule(*, rule: EarningRule) -> None:
    rule.delete()
