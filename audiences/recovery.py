"""Work that survives a killed worker: heartbeats, run claims and the beat sweep that resumes.

An import or a refresh stamps a heartbeat while it runs: from a small thread with its own
database connection (so the stamp commits even while the work's transaction is open and
during a single long statement), every quarter of `WORK_STALE_AFTER_SECONDS`; an import also
stamps it with every committed chunk. A worker killed with SIGKILL stops stamping. Beat
(`resume_stalled_work`, every 30 s) then finds running work whose heartbeat is older than the
setting and, for each row it manages to claim (`select_for_update(skip_locked=True)` and a
conditional UPDATE in one transaction), queues it again after commit:

- an import continues from its last committed chunk under a new `run_token`; the old run, if
  it was only slow, sees the token change at its next chunk and stops, and a later re-delivery
  of the old message finds the new run's fresh heartbeat and does nothing;
- a refresh's dead claim is released and the refresh queued again.

Live work keeps its heartbeat fresh, so it is never taken over; a second sweep finds the
claimed row no longer stale, so nothing is queued twice.
"""

import datetime as dt
import logging
import threading
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.dispatch import enqueue

from .models import Audience, AudienceImport

IMPORT_TASK = "audiences.tasks.run_import_task"
REFRESH_TASK = "audiences.tasks.refresh_audience_task"
SWEEP_LIMIT = 1000  # rows looked at per sweep; the next sweep takes the rest
Status = AudienceImport.Status
logger = logging.getLogger(__name__)


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WORK_STALE_AFTER_SECONDS)


def heartbeat_every() -> float:
    return max(settings.WORK_STALE_AFTER_SECONDS / 4, 0.5)


@contextmanager
def heartbeat(queryset, field: str):
    """While the block runs, set `field` to now on `queryset`'s rows every heartbeat_every()
    seconds, from a daemon thread with its own connection. The queryset should name the claim
    (e.g. the run's token), so a late stamp never lands on someone else's run."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(heartbeat_every()):
                try:
                    queryset.update(**{field: timezone.now()})
                except DatabaseError:  # the next beat tries again; the work itself goes on
                    logger.warning("heartbeat %s failed", field, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"heartbeat-{field}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # a stamp waiting on a row lock of ours finishes after our commit; no need to wait
        thread.join(timeout=5)


def _lock_if_still_stale(model, stale: Q, pk, *fields):
    """The row (with `fields`), locked until the end of the transaction, if it is still stale;
    else None. A row locked by its work (e.g. a chunk being written) is live: it is skipped
    rather than waited for."""
    return (
        model.objects.select_for_update(skip_locked=True)
        .filter(stale, pk=pk)
        .only("pk", *fields)
        .first()
    )


# -- imports ----------------------------------------------------------------------------------


def _stale_import(cutoff: dt.datetime) -> Q:
    """Running with no sign of life since `cutoff`. An import the sweep already queued again
    (heartbeat_at cleared, resumed_at set: its new run has not started yet) is left for that
    run, so a backlog in the queue does not pile up copies. (No heartbeat and never resumed:
    a run from before heartbeats existed, judged by its last chunk.)"""
    return Q(status=Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, resumed_at__isnull=True, updated_at__lt=cutoff)
    )


def claim_import(*, import_id, token, now: dt.datetime | None = None) -> bool:
    """Take a pending or running import for the run holding `token`: a pending one (first
    come), one this run already holds (a retry or a re-delivery of the same message), or a
    running one whose heartbeat stopped (recorded as resumed). False: another live run holds
    it. `token=None` (direct calls, messages queued before tokens existed) takes it as before.
    """
    now = now or timezone.now()
    base = AudienceImport.objects.filter(pk=import_id, status__in=(Status.PENDING, Status.RUNNING))
    stamp = {
        "status": Status.RUNNING,
        "heartbeat_at": now,
        "started_at": Coalesce("started_at", now),
    }
    if token is None:
        return bool(base.update(**stamp))
    stamp["run_token"] = token
    if base.filter(Q(status=Status.PENDING) | Q(run_token=token)).update(**stamp):
        return True
    return bool(
        base.filter(_stale_import(now - stale_after())).update(
            **stamp, resumed_count=F("resumed_count") + 1, resumed_at=now
        )
    )


def holds_import(imp: AudienceImport, token) -> bool:
    """Whether the run with `token` still holds `imp` (another run may have taken it over)."""
    return token is None or str(imp.run_token) == str(token)


@contextmanager
def import_heartbeat(*, import_id, token):
    rows = AudienceImport.objects.filter(pk=import_id, status=Status.RUNNING)
    if token is not None:
        rows = rows.filter(run_token=token)
    with heartbeat(rows, "heartbeat_at"):
        yield


def resume_stalled_imports(*, now: dt.datetime | None = None) -> list:
    """Queue again, from their checkpoint, the running imports whose worker stopped."""
    now = now or timezone.now()
    stale = _stale_import(now - stale_after())
    candidates = list(
        AudienceImport.objects.filter(stale).values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    resumed = []
    for import_id in candidates:
        with transaction.atomic():
            row = _lock_if_still_stale(AudienceImport, stale, import_id)
            if row is None:
                continue
            token = uuid.uuid4()
            AudienceImport.objects.filter(pk=import_id).update(
                run_token=token,
                heartbeat_at=None,  # until the new run claims it
                resumed_at=now,
                resumed_count=F("resumed_count") + 1,
            )
            enqueue(IMPORT_TASK, str(import_id), str(token))
        logger.warning("import %s: its worker stopped; queued again", import_id)
        resumed.append(import_id)
    return resumed


# -- refreshes --------------------------------------------------------------------------------


def refresh_claimable(now: dt.datetime) -> Q:
    """No refresh holds the audience, or the one holding it stopped stamping its heartbeat."""
    cutoff = now - stale_after()
    return (
        Q(refresh_started_at__isnull=True)
        | Q(refresh_heartbeat_at__lt=cutoff)
        | Q(refresh_heartbeat_at__isnull=True, refresh_started_at__lt=cutoff)
    )


@contextmanager
def refresh_heartbeat(*, audience_id, claimed_at: dt.datetime):
    rows = Audience.objects.filter(pk=audience_id, refresh_started_at=claimed_at)
    with heartbeat(rows, "refresh_heartbeat_at"):
        yield


def resume_stalled_refreshes(*, now: dt.datetime | None = None) -> list:
    """Release the claims of refreshes whose worker stopped and queue them again (an archived
    audience's claim is only released)."""
    now = now or timezone.now()
    stale = Q(refresh_started_at__isnull=False) & refresh_claimable(now)
    candidates = list(Audience.objects.filter(stale).values_list("pk", flat=True)[:SWEEP_LIMIT])
    resumed = []
    for audience_id in candidates:
        with transaction.atomic():
            row = _lock_if_still_stale(Audience, stale, audience_id, "archived")
            if row is None:
                continue
            Audience.objects.filter(pk=audience_id).update(
                refresh_started_at=None,
                refresh_heartbeat_at=None,
                refresh_queued_at=None if row.archived else now,
            )
            if row.archived:
                continue
            enqueue(REFRESH_TASK, str(audience_id))
        logger.warning("audience %s: its refresh's worker stopped; queued again", audience_id)
        resumed.append(audience_id)
    return resumed


def resume_stalled_work(*, now: dt.datetime | None = None) -> dict:
    """The beat sweep: imports and refreshes whose heartbeat stopped, queued again once."""
    now = now or timezone.now()
    return {
        "imports": len(resume_stalled_imports(now=now)),
        "refreshes": len(resume_stalled_refreshes(now=now)),
    }
