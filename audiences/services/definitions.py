"""Audience definitions: create, update and delete an audience, its rules and its refresh
schedule; the group lookup tier-range audiences use."""

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.validators import unstorable_json_reason
from organizations.models import Organization
from organizations.tenancy import Actor

from ..models import Audience, AudienceGroup, AudienceRule
from ..rules import compile_rules

AUDIENCE_FIELDS = (
    "name",
    "description",
    "group",
    "icon_name",
    "metadata",
    "archived",
    "refresh_interval_seconds",
)
MIN_REFRESH_INTERVAL = 30


def _check_audience(audience: Audience) -> None:
    interval = audience.refresh_interval_seconds
    if interval is not None and interval < MIN_REFRESH_INTERVAL:
        raise ValidationError(
            {"refresh_interval_seconds": f"Refresh at most every {MIN_REFRESH_INTERVAL} seconds."}
        )
    if audience.group_id and audience.group.organization_id != audience.organization_id:
        raise ValidationError({"group": "No such audience group."})
    if not isinstance(audience.metadata, dict):
        raise ValidationError({"metadata": "Metadata must be a JSON object."})
    if reason := unstorable_json_reason(audience.metadata):
        raise ValidationError({"metadata": reason})
    audience.full_clean(exclude=["organization", "group", "program"], validate_constraints=False)


def schedule_next_refresh(audience: Audience, now: dt.datetime) -> None:
    """Set `next_refresh_at` from the interval and the last refresh (none: by hand only)."""
    interval = audience.refresh_interval_seconds
    if interval is None or audience.archived:
        audience.next_refresh_at = None
    elif audience.last_refreshed_at is None:
        audience.next_refresh_at = now
    else:
        audience.next_refresh_at = audience.last_refreshed_at + dt.timedelta(seconds=interval)


def _replace_rules(audience: Audience, rules: Sequence[Mapping]) -> None:
    compile_rules(organization=audience.organization, rules=rules)  # raises naming the rule
    audience.rules.all().delete()
    AudienceRule.objects.bulk_create(
        AudienceRule(
            organization_id=audience.organization_id,
            audience=audience,
            field=rule["field"],
            operator=rule["operator"],
            values=list(rule.get("values") or []),
            position=rule.get("position", index),
            condition_group=rule.get("condition_group", 0) or 0,
        )
        for index, rule in enumerate(rules)
    )


def _save(
    audience: Audience, data: Mapping, rules: Sequence[Mapping] | None, now: dt.datetime | None
) -> Audience:
    for field in AUDIENCE_FIELDS:
        if field in data:
            setattr(audience, field, data[field])
    _check_audience(audience)
    schedule_next_refresh(audience, now or timezone.now())
    audience.save()
    if rules is not None:
        _replace_rules(audience, rules)
    return audience


@transaction.atomic
def create_audience(
    *,
    organization: Organization,
    data: Mapping,
    rules: Sequence[Mapping] = (),
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> Audience:
    user, key = (actor.user, actor.api_key) if actor else (None, None)
    audience = Audience(
        organization=organization,
        created_by=user,
        created_by_key=key,
        updated_by=user,
        updated_by_key=key,
    )
    return _save(audience, data, rules or None, now)


@transaction.atomic
def update_audience(
    *,
    audience: Audience,
    data: Mapping,
    rules: Sequence[Mapping] | None = None,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> Audience:
    """Change what `data` holds (rename, archive, interval…); `rules`, when given, replace
    the audience's rules (members follow at the next refresh)."""
    if actor is not None and (actor.user or actor.api_key):  # a task keeps the last one
        audience.updated_by, audience.updated_by_key = actor.user, actor.api_key
    return _save(audience, data, rules, now)


@transaction.atomic
def delete_audience(*, audience: Audience) -> None:
    audience.delete()


def get_or_create_group(*, organization: Organization, name: str, type: str = "") -> AudienceGroup:
    group = AudienceGroup.objects.filter(organization=organization, name=name).first()
    if group is None:
        group = AudienceGroup(organization=organization, name=name, type=type)
        group.full_clean(exclude=["organization"], validate_unique=False)
        group.save()
    return group
