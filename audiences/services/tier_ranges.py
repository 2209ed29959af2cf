"""Tier-range audiences (seed 000): one group and one rule-based audience per loyalty tier."""

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ConflictError
from core.ranges import Rung, ladder_errors
from loyalty.models import LoyaltyProgram
from organizations.models import Organization
from organizations.tenancy import Actor

from ..models import Audience, AudienceGroup
from .definitions import create_audience, get_or_create_group, update_audience


def _range_rule(program: LoyaltyProgram, start: int, end: int | None) -> dict:
    field = f"loyalty.points.{program.pk}"
    if end is None:
        return {"field": field, "operator": "gte", "values": [start]}
    return {"field": field, "operator": "between", "values": [start, end]}


def _check_program(organization_id, program: LoyaltyProgram | None) -> None:
    if program is not None and (
        program.organization_id != organization_id or program.kind != LoyaltyProgram.Kind.PROFILE
    ):
        raise ValidationError({"program": "Choose a profile-based program of this organization."})


@transaction.atomic
def create_tier_audiences(
    *,
    organization: Organization,
    group_name: str,
    tiers: Sequence[Mapping],
    program: LoyaltyProgram | None = None,
    actor: Actor | None = None,
) -> tuple[AudienceGroup, list[Audience]]:
    """One group and one audience per tier, all or nothing. With a `program`, members are the
    profiles with start_value..end_value points in it, refreshed every
    AUDIENCE_DEFAULT_REFRESH_SECONDS; without one, the ranges are kept and members come from
    imports and the API until a program is named (`name_tier_program`). Overlapping ranges or
    repeated orders → 400 naming both."""
    if not tiers:
        raise ValidationError({"tiers": ["Give at least one tier."]})
    rungs = [Rung(t["name"], t["order"], t["start_value"], t.get("end_value")) for t in tiers]
    if errors := ladder_errors(rungs, low="start_value", high="end_value"):
        raise ValidationError({"tiers": errors})
    _check_program(organization.pk, program)
    group = get_or_create_group(organization=organization, name=group_name, type="loyalty_tiers")
    taken = group.audiences.exclude(start_value__isnull=True)
    existing = [Rung(a.name, a.order, a.start_value, a.end_value) for a in taken]
    if existing and (
        errors := ladder_errors([*existing, *rungs], low="start_value", high="end_value")
    ):
        raise ValidationError(
            {"tiers": [f"Group “{group_name}” already has tiers: {e}" for e in errors]}
        )
    audiences = []
    for tier in tiers:
        end = tier.get("end_value")
        data = {"name": tier["name"], "icon_name": tier.get("icon_name", ""), "group": group}
        if program is not None:
            data["refresh_interval_seconds"] = settings.AUDIENCE_DEFAULT_REFRESH_SECONDS
        audience = create_audience(
            organization=organization,
            data=data,
            rules=[_range_rule(program, tier["start_value"], end)] if program else (),
            actor=actor,
        )
        audience.order, audience.start_value, audience.end_value = (
            tier["order"],
            tier["start_value"],
            end,
        )
        audience.program = program
        try:
            with transaction.atomic():
                audience.save(update_fields=["order", "start_value", "end_value", "program"])
        except IntegrityError as exc:  # a concurrent creation in the same group
            raise ConflictError(f"Group “{group_name}” changed meanwhile; try again.") from exc
        audiences.append(audience)
    return group, audiences


@transaction.atomic
def name_tier_program(
    *, audience: Audience, program: LoyaltyProgram | None, actor: Actor | None = None
) -> Audience:
    """From now on a tier-range audience's members follow `program`'s points (its range, on
    the refresh schedule). None: no points source any more; the members its points brought
    leave at the next refresh, imported and API members stay."""
    if audience.start_value is None:
        raise ValidationError({"program": "Only a loyalty tier audience (with a range) has one."})
    _check_program(audience.organization_id, program)
    rules = [_range_rule(program, audience.start_value, audience.end_value)] if program else []
    interval = audience.refresh_interval_seconds
    if program is not None and interval is None:
        interval = settings.AUDIENCE_DEFAULT_REFRESH_SECONDS
    audience = update_audience(
        audience=audience,
        data={"refresh_interval_seconds": interval},
        rules=rules,
        actor=actor,
    )
    audience.program = program
    audience.save(update_fields=["program"])
    return audience
