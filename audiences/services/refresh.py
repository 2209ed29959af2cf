"""Refreshes: recompute an audience's rule members (the rule diff), and queue refreshes by
hand ("refresh now") or when their interval has passed."""

import datetime as dt
import time

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from core.dispatch import enqueue, send
from core.errors import ConflictError
from customers.models import CustomerProfile

from .. import recovery
from ..models import Audience, AudienceMembership, AudienceRefresh
from ..rules import matching_profiles
from ..sql import db_datetime, db_uuid
from .definitions import schedule_next_refresh

# a refresh queued this long ago and never started was lost (its message went with a worker);
# it may be queued again. (A started refresh whose worker died is found by its heartbeat.)
REFRESH_QUEUED_STALE_AFTER = dt.timedelta(minutes=30)
Source = AudienceMembership.Source


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
                [db_uuid(audience.pk), Source.RULE],
            )
            return 0, cursor.rowcount
    try:
        sql, params = matching.values("id").query.sql_with_params()
    except EmptyResultSet:  # rules that can match nothing (e.g. `in` with no possible value)
        sql, params = f"SELECT id FROM {CustomerProfile._meta.db_table} WHERE 1 = 0", []  # noqa: S608
    audience_id = db_uuid(audience.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {members} (organization_id, audience_id, profile_id, source, added_at) "  # noqa: S608
            f"SELECT %s, %s, m.id, %s, %s FROM ({sql}) m "
            f"WHERE NOT EXISTS (SELECT 1 FROM {members} am "
            "WHERE am.audience_id = %s AND am.profile_id = m.id) "
            "ON CONFLICT DO NOTHING",
            [
                db_uuid(audience.organization_id),
                audience_id,
                Source.RULE,
                db_datetime(now),
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
            # kept by the database's triggers as the diff ran
            audience.refresh_from_db(fields=["member_count"])
            audience.last_refreshed_at = now
            schedule_next_refresh(audience, now)
            Audience.objects.filter(pk=audience_id).update(
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
        enqueue(recovery.REFRESH_TASK, str(audience.pk))
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
        send(recovery.REFRESH_TASK, str(audience_id))
    return ids
