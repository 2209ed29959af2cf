"""Every write to audiences: definitions and rules, refreshes, members, tier-range audiences."""

import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from core.dispatch import enqueue, send
from core.errors import BatchValidationError, ConflictError
from core.ranges import Rung, ladder_errors
from core.validators import unstorable_json_reason
from customers.models import CustomerProfile
from customers.validators import is_valid_attribute_key, validate_attributes
from loyalty.models import LoyaltyProgram
from organizations.models import Organization

from . import recovery
from .models import Audience, AudienceGroup, AudienceMembership, AudienceRefresh, AudienceRule
from .rules import compile_rules, matching_profiles

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
MEMBERS_LIMIT = 1000
# a refresh queued this long ago and never started was lost (its message went with a worker);
# it may be queued again. (A started refresh whose worker died is found by its heartbeat.)
REFRESH_QUEUED_STALE_AFTER = dt.timedelta(minutes=30)
Source = AudienceMembership.Source


# -- definitions ------------------------------------------------------------------------------


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


def _schedule(audience: Audience, now: dt.datetime) -> None:
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


@transaction.atomic
def create_audience(
    *,
    organization: Organization,
    data: Mapping,
    rules: Sequence[Mapping] = (),
    actor=None,
    now: dt.datetime | None = None,
) -> Audience:
    now = now or timezone.now()
    audience = Audience(organization=organization, created_by=actor, updated_by=actor)
    for field in AUDIENCE_FIELDS:
        if field in data:
            setattr(audience, field, data[field])
    _check_audience(audience)
    _schedule(audience, now)
    audience.save()
    if rules:
        _replace_rules(audience, rules)
    return audience


@transaction.atomic
def update_audience(
    *,
    audience: Audience,
    data: Mapping,
    rules: Sequence[Mapping] | None = None,
    actor=None,
    now: dt.datetime | None = None,
) -> Audience:
    """Change what `data` holds (rename, archive, interval…); `rules`, when given, replace
    the audience's rules (members follow at the next refresh)."""
    now = now or timezone.now()
    for field in AUDIENCE_FIELDS:
        if field in data:
            setattr(audience, field, data[field])
    audience.updated_by = actor or audience.updated_by
    _check_audience(audience)
    _schedule(audience, now)
    audience.save()
    if rules is not None:
        _replace_rules(audience, rules)
    return audience


@transaction.atomic
def delete_audience(*, audience: Audience) -> None:
    audience.delete()


def get_or_create_group(*, organization: Organization, name: str, kind: str = "") -> AudienceGroup:
    group = AudienceGroup.objects.filter(organization=organization, name=name).first()
    if group is None:
        group = AudienceGroup(organization=organization, name=name, kind=kind)
        group.full_clean(exclude=["organization"], validate_unique=False)
        group.save()
    return group


# -- tier-range audiences (seed 000) ------------------------------------------------------------


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
    actor=None,
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
    group = get_or_create_group(organization=organization, name=group_name, kind="loyalty_tiers")
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


# -- refresh ----------------------------------------------------------------------------------


def _db(value):
    """A UUID in the form the current database stores it."""
    return Audience._meta.pk.get_db_prep_value(value, connection)


def _apply_rule_diff(audience: Audience, now: dt.datetime) -> tuple[int, int]:
    """Insert profiles that match and are not members; delete `rule` members that no longer
    match. Two statements, whatever the audience's size. (The raw SQL interpolates only table
    names from model metadata and Django's own compiled query; every value is a parameter.)"""
    rules = list(audience.rules.all())
    matching = matching_profiles(organization=audience.organization, rules=rules)
    members = AudienceMembership._meta.db_table
    if not rules:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {members} WHERE audience_id = %s AND source = %s",  # noqa: S608
                [_db(audience.pk), Source.RULE],
            )
            return 0, cursor.rowcount
    try:
        sql, params = matching.values("id").query.sql_with_params()
    except EmptyResultSet:  # rules that can match nothing (e.g. `in` with no possible value)
        sql, params = f"SELECT id FROM {CustomerProfile._meta.db_table} WHERE 1 = 0", []  # noqa: S608
    audience_id = _db(audience.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {members} (organization_id, audience_id, profile_id, source, added_at) "  # noqa: S608
            f"SELECT %s, %s, m.id, %s, %s FROM ({sql}) m "
            f"WHERE NOT EXISTS (SELECT 1 FROM {members} am "
            "WHERE am.audience_id = %s AND am.profile_id = m.id) "
            "ON CONFLICT DO NOTHING",
            [
                _db(audience.organization_id),
                audience_id,
                Source.RULE,
                connection.ops.adapt_datetimefield_value(now),
                *params,
                audience_id,
            ],
        )
        added = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {members} WHERE audience_id = %s AND source = %s "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM ({sql}) m WHERE m.id = {members}.profile_id)",
            [audience_id, Source.RULE, *params],
        )
        removed = cursor.rowcount
    return added, removed


def _unless_ours(ours: Q, field: str) -> Case:
    return Case(When(ours, then=None), default=F(field), output_field=models.DateTimeField())


def refresh_audience(*, audience_id, now: dt.datetime | None = None) -> AudienceRefresh:
    """Recompute an audience's rule members and log what changed.

    Two refreshes of one audience never run at once: a refresh first claims the audience
    (one UPDATE, committed at once) and stamps a heartbeat while it runs; if another refresh
    holds the claim and its heartbeat is fresh (WORK_STALE_AFTER_SECONDS), this one is logged
    as skipped and does nothing.
    """
    now = now or timezone.now()
    started = time.perf_counter()
    # the claim also takes the queued request: a "refresh now" made while this refresh runs
    # queues a new one, so rule changes made meanwhile are not lost
    claimed = (
        Audience.objects.filter(pk=audience_id)
        .filter(recovery.refresh_claimable(now))
        .update(refresh_started_at=now, refresh_heartbeat_at=timezone.now(), refresh_queued_at=None)
    )
    if not claimed:
        if not Audience.objects.filter(pk=audience_id).exists():
            raise Audience.DoesNotExist(audience_id)
        return AudienceRefresh.objects.create(
            audience_id=audience_id, status=AudienceRefresh.Status.SKIPPED, started_at=now
        )
    ours = Q(refresh_started_at=now)  # our claim (the sweep may have given it to another run)
    try:
        with (
            recovery.refresh_heartbeat(audience_id=audience_id, claimed_at=now),
            transaction.atomic(),
        ):
            audience = Audience.objects.select_related("organization").get(pk=audience_id)
            added, removed = _apply_rule_diff(audience, now)
            audience.member_count = audience.memberships.count()
            audience.last_refreshed_at = now
            _schedule(audience, now)
            Audience.objects.filter(pk=audience_id).update(
                member_count=audience.member_count,
                last_refreshed_at=now,
                next_refresh_at=audience.next_refresh_at,
                # released only if still ours
                refresh_started_at=_unless_ours(ours, "refresh_started_at"),
                refresh_heartbeat_at=_unless_ours(ours, "refresh_heartbeat_at"),
            )
            return AudienceRefresh.objects.create(
                audience=audience,
                status=AudienceRefresh.Status.COMPLETED,
                added=added,
                removed=removed,
                member_count=audience.member_count,
                duration_ms=int((time.perf_counter() - started) * 1000),
                started_at=now,
            )
    except Exception as exc:
        Audience.objects.filter(ours, pk=audience_id).update(
            refresh_started_at=None, refresh_heartbeat_at=None, refresh_queued_at=None
        )
        AudienceRefresh.objects.create(
            audience_id=audience_id,
            status=AudienceRefresh.Status.FAILED,
            error=str(exc)[:2000],
            started_at=now,
        )
        raise


def _queueable(now: dt.datetime) -> Q:
    return Q(refresh_queued_at__isnull=True) | Q(
        refresh_queued_at__lt=now - REFRESH_QUEUED_STALE_AFTER
    )


def request_refresh(*, audience: Audience, now: dt.datetime | None = None) -> bool:
    """Queue a refresh ("refresh now"); False if one is already queued (not queued twice)."""
    if audience.archived:
        raise ConflictError("This audience is archived; unarchive it to refresh it.")
    now = now or timezone.now()
    claimed = (
        Audience.objects.filter(pk=audience.pk)
        .filter(_queueable(now))
        .update(refresh_queued_at=now)
    )
    if claimed:
        enqueue("audiences.tasks.refresh_audience_task", str(audience.pk))
    return bool(claimed)


def enqueue_due_refreshes(*, now: dt.datetime | None = None) -> list:
    """Queue a refresh for every audience whose interval has passed (and none queued yet)."""
    now = now or timezone.now()
    due = Audience.objects.filter(
        archived=False, refresh_interval_seconds__isnull=False, next_refresh_at__lte=now
    ).filter(_queueable(now))
    ids = list(due.values_list("pk", flat=True)[:10_000])
    if not ids:
        return []
    Audience.objects.filter(pk__in=ids).filter(_queueable(now)).update(refresh_queued_at=now)
    for audience_id in ids:  # the claims are written (autocommit): queue at once
        send("audiences.tasks.refresh_audience_task", str(audience_id))
    return ids


# -- members ----------------------------------------------------------------------------------


def _profiles_by_integration_id(organization, integration_ids: Sequence[str]) -> dict:
    return dict(
        CustomerProfile.objects.filter(
            organization=organization, integration_id__in=set(integration_ids)
        ).values_list("integration_id", "pk")
    )


def _unknown_errors(integration_ids, known: dict, field="integration_ids") -> None:
    errors = {
        index: {field: [f"No customer profile with integration_id “{value}”."]}
        for index, value in enumerate(integration_ids)
        if value not in known
    }
    if errors:
        raise BatchValidationError(errors)


def _recount(audience: Audience) -> None:
    Audience.objects.filter(pk=audience.pk).update(member_count=audience.memberships.count())


@transaction.atomic
def add_members(
    *, audience: Audience, integration_ids: Sequence[str], source: str = Source.API, now=None
) -> int:
    """Add profiles (all must exist; nothing is written otherwise). Members already there
    stay; a `rule` member added by hand becomes `api`, so refreshes keep it. Returns how many
    were added."""
    if len(integration_ids) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} profiles per call.")
    now = now or timezone.now()
    known = _profiles_by_integration_id(audience.organization, integration_ids)
    _unknown_errors(integration_ids, known)
    profile_ids = list(dict.fromkeys(known[i] for i in integration_ids))
    existing = set(
        audience.memberships.filter(profile_id__in=profile_ids).values_list("profile_id", flat=True)
    )
    audience.memberships.filter(profile_id__in=existing, source=Source.RULE).update(source=source)
    new = [p for p in profile_ids if p not in existing]
    AudienceMembership.objects.bulk_create(
        [
            AudienceMembership(
                organization_id=audience.organization_id,
                audience=audience,
                profile_id=profile_id,
                source=source,
                added_at=now,
            )
            for profile_id in new
        ],
        ignore_conflicts=True,
    )
    _recount(audience)
    return len(new)


@transaction.atomic
def remove_members(*, audience: Audience, integration_ids: Sequence[str]) -> int:
    if len(integration_ids) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} profiles per call.")
    known = _profiles_by_integration_id(audience.organization, integration_ids)
    _unknown_errors(integration_ids, known)
    removed, _ = audience.memberships.filter(profile_id__in=list(known.values())).delete()
    _recount(audience)
    return removed


@transaction.atomic
def clear_members(*, audience: Audience) -> int:
    """Remove every member (rule members come back at the next refresh if rules match)."""
    removed, _ = audience.memberships.all().delete()
    _recount(audience)
    return removed


@transaction.atomic
def update_customer_audiences(*, organization: Organization, items: Sequence[Mapping]) -> dict:
    """Talon.One's bulk update: items {profile_integration_id, audience_id, action add|delete}.
    Every item is checked first; any bad item → BatchValidationError and nothing changes."""
    if len(items) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} items per call.")
    known = _profiles_by_integration_id(
        organization, [item["profile_integration_id"] for item in items]
    )
    audiences = {
        a.pk: a
        for a in Audience.objects.filter(
            organization=organization, pk__in={item["audience_id"] for item in items}
        )
    }
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        if item["profile_integration_id"] not in known:
            errors.setdefault(index, {})["profile_integration_id"] = [
                "No customer profile with this integration_id."
            ]
        audience = audiences.get(item["audience_id"])
        if audience is None:
            errors.setdefault(index, {})["audience_id"] = ["No such audience."]
        elif audience.archived:
            errors.setdefault(index, {})["audience_id"] = ["This audience is archived."]
    if errors:
        raise BatchValidationError(errors)
    now = timezone.now()
    added = removed = 0
    to_add: dict = {}
    to_remove: dict = {}
    for item in items:  # the last action for a (profile, audience) pair wins
        key = (known[item["profile_integration_id"]], item["audience_id"])
        (to_add if item["action"] == "add" else to_remove)[key] = True
        (to_remove if item["action"] == "add" else to_add).pop(key, None)
    pairs = set(to_add) | set(to_remove)
    current = {
        (m.profile_id, m.audience_id): m
        for m in AudienceMembership.objects.filter(
            profile_id__in={p for p, _ in pairs}, audience_id__in={a for _, a in pairs}
        ).only("id", "profile_id", "audience_id", "source")
    }  # one query for a superset of the pairs; the exact pairs are picked here
    doomed = [current[key].pk for key in to_remove if key in current]
    if doomed:
        removed, _ = AudienceMembership.objects.filter(pk__in=doomed).delete()
    by_hand = [current[k].pk for k in to_add if k in current and current[k].source == Source.RULE]
    if by_hand:
        AudienceMembership.objects.filter(pk__in=by_hand).update(source=Source.API)
    new = [key for key in to_add if key not in current]
    AudienceMembership.objects.bulk_create(
        [
            AudienceMembership(
                organization_id=organization.pk,
                audience_id=audience_id,
                profile_id=profile_id,
                source=Source.API,
                added_at=now,
            )
            for profile_id, audience_id in new
        ],
        ignore_conflicts=True,
    )
    added = len(new)
    for audience in audiences.values():
        _recount(audience)
    return {"added": added, "removed": removed}


@transaction.atomic
def set_member_attributes(*, audience: Audience, attributes: Mapping) -> int:
    """Merge `attributes` into every member's attributes in one UPDATE (a key sent as null is
    removed). Returns how many profiles changed."""
    if not isinstance(attributes, Mapping) or not attributes:
        raise ValidationError({"attributes": "Send an object with at least one attribute."})
    bad = [key for key in attributes if not is_valid_attribute_key(key)]
    if bad:
        raise ValidationError({"attributes": f"Invalid attribute name(s): {bad[:5]!r}."})
    validate_attributes({k: v for k, v in attributes.items() if v is not None})
    table = CustomerProfile._meta.db_table
    members = AudienceMembership._meta.db_table
    removed = [k for k, v in attributes.items() if v is None]
    kept = {k: v for k, v in attributes.items() if v is not None}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        expression = "(attributes || %s::jsonb) - %s::text[]"
        params = [json.dumps(kept), removed]
    else:
        # a top-level merge like merge_attributes (json_patch would merge nested objects too);
        # keys are validated names, so they are safe inside the JSON paths
        expression, params = "attributes", []
        if removed:
            paths = ", ".join(f"'$.\"{key}\"'" for key in removed)
            expression = f"json_remove({expression}, {paths})"
        if kept:
            pairs = ", ".join(f"'$.\"{key}\"', json(%s)" for key in kept)
            expression = f"json_set({expression}, {pairs})"
            params = [json.dumps(value) for value in kept.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET attributes = {expression}, updated_at = %s "  # noqa: S608
            f"WHERE id IN (SELECT profile_id FROM {members} WHERE audience_id = %s)",
            [*params, now, _db(audience.pk)],
        )
        return cursor.rowcount


def recount_after_profiles_deleted(*, profiles):
    """customers' `profiles_deleting` hook: the audiences these profiles were in are
    recounted once they are gone."""
    audience_ids = set(
        AudienceMembership.objects.filter(profile__in=profiles)
        .values_list("audience_id", flat=True)
        .distinct()
    )
    return lambda: recount_members(audience_ids=audience_ids)


@transaction.atomic
def delete_audience_memberships(*, memberships) -> int:
    """Remove these memberships (a queryset, already scoped) and recount their audiences."""
    audience_ids = set(memberships.values_list("audience_id", flat=True).distinct())
    deleted, _ = memberships.delete()
    recount_members(audience_ids=audience_ids)
    return deleted


def recount_members(*, audience_ids) -> None:
    """Bring member_count up to date (after profiles were deleted, for instance)."""
    for audience in Audience.objects.filter(pk__in=list(audience_ids)):
        _recount(audience)
