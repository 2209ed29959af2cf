"""Tier-range audiences (seed 000): one group and one rule-based audience per loyalty tier."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ConflictError
from core.ranges import Rung, ladder_errors
from loyalty.models import LoyaltyProgram
from organizations.models import Organization
from organizations.tenancy import Actor

from ..models import Audience, AudienceGroup
from .definitions import create_audience, get_or_create_group


def _default_program(organization: Organization) -> LoyaltyProgram:
    programs = list(
        LoyaltyProgram.objects.filter(
            organization=organization,
            kind=LoyaltyProgram.Kind.PROFILE,
            status=LoyaltyProgram.Status.ACTIVE,
        )[:2]
    )
    if len(programs) != 1:
        raise ValidationError(
            {"program": "Name the loyalty program whose points the tiers range over."}
        )
    return programs[0]


@transaction.atomic
def create_tier_audiences(
    *,
    organization: Organization,
    group_name: str,
    tiers: Sequence[Mapping],
    program: LoyaltyProgram | None = None,
    actor: Actor | None = None,
) -> tuple[AudienceGroup, list[Audience]]:
    """One group and one rule-based audience per tier (members: start_value..end_value points
    in `program`), all or nothing. Overlapping ranges or repeated orders → 400 naming both."""
    if not tiers:
        raise ValidationError({"tiers": ["Give at least one tier."]})
    rungs = [Rung(t["name"], t["order"], t["start_value"], t.get("end_value")) for t in tiers]
    if errors := ladder_errors(rungs, low="start_value", high="end_value"):
        raise ValidationError({"tiers": errors})
    program = program or _default_program(organization)
    if program.organization_id != organization.pk or program.kind != LoyaltyProgram.Kind.PROFILE:
        raise ValidationError({"program": "Choose a profile-based program of this organization."})
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
    field = f"loyalty.points.{program.pk}"
    for tier in tiers:
        end = tier.get("end_value")
        rule = (
            {"field": field, "operator": "between", "values": [tier["start_value"], end]}
            if end is not None
            else {"field": field, "operator": "gte", "values": [tier["start_value"]]}
        )
        audience = create_audience(
            organization=organization,
            data={"name": tier["name"], "icon_name": tier.get("icon_name", ""), "group": group},
            rules=[rule],
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
