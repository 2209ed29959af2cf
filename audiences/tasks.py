"""Celery tasks of the audiences app: load ids, call a service, nothing else."""

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import customer_data, imports, recovery, services
from .hooks import audience_refreshed
from .models import Audience, AudienceImport


@shared_task(acks_late=True, reject_on_worker_lost=True)
def enqueue_due_refreshes(now: str | None = None) -> int:
    """Beat, every 30 s: queue a refresh per audience whose interval has passed."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return len(services.enqueue_due_refreshes(now=moment))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_audience_task(audience_id: str) -> dict | None:
    """Idempotent: a second run of the same refresh adds and removes nothing."""
    if not Audience.objects.filter(pk=audience_id).exists():
        return None  # deleted meanwhile
    log = services.refresh_audience(audience_id=audience_id)
    audience_refreshed(audience_id=audience_id)  # automatic member groups follow it
    return {"status": log.status, "added": log.added, "removed": log.removed}


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def run_import_task(import_id: str, token: str | None = None) -> dict | None:
    """Long and resumable: a re-delivery after a crash, or the run queued by
    `resume_stalled_work`, continues from the last committed chunk. `token` names this queued
    run; a run whose import another live run holds does nothing."""
    if not AudienceImport.objects.filter(pk=import_id).exists():
        return None
    imp = imports.run_import(import_id=import_id, token=token)
    return {"status": imp.status, "processed": imp.processed, "errors": imp.error_count}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def resume_stalled_work(now: str | None = None) -> dict:
    """Beat, every 30 s: queue again, once, the imports and refreshes whose worker stopped
    (no heartbeat for WORK_STALE_AFTER_SECONDS)."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return recovery.resume_stalled_work(now=moment)


@shared_task
def delete_old_import_files() -> int:
    """Beat, hourly: the stored files of imports that ended more than the retention ago."""
    return customer_data.delete_old_import_files()
