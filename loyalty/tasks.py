"""Celery tasks of the loyalty app: load ids, call a service, nothing else.

Beat entries (settings.CELERY_BEAT_SCHEDULE) run `settle_due_points` and `recompute_tiers`
every minute; each enqueues small per-batch or per-program tasks. All are idempotent:
running one twice with the same clock changes nothing the second time.
"""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import ledger, rollups, tiering
from .models import LoyaltyProgram, TierStructure

SETTLE_BATCH = 500


def _clock(now: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(now) if now else timezone.now()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def settle_due_points(now: str | None = None) -> int:
    """Activate due pending points and expire due points: enqueue one task per batch of
    accounts that have a lot due."""
    ids = ledger.due_account_ids(now=_clock(now))
    for start in range(0, len(ids), SETTLE_BATCH):
        settle_accounts_task.delay(ids[start : start + SETTLE_BATCH], now)
    return len(ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def settle_accounts_task(account_ids: list[int], now: str | None = None) -> int:
    return ledger.settle_accounts(account_ids=account_ids, now=_clock(now))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_tiers(now: str | None = None) -> int:
    """Enqueue a tier recompute for every program with an active tier structure."""
    program_ids = list(
        TierStructure.objects.filter(status=TierStructure.Status.ACTIVE).values_list(
            "program_id", flat=True
        )
    )
    for program_id in program_ids:
        recompute_program_tiers_task.delay(str(program_id), False, now)
    return len(program_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_program_tiers_task(
    program_id: str, everyone: bool = False, now: str | None = None
) -> int:
    program = LoyaltyProgram.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    return tiering.recompute_program_tiers(program=program, now=_clock(now), everyone=everyone)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def roll_up_points() -> int:
    """Sum every organization's closed ledger days (loyalty.rollups); idempotent."""
    return rollups.roll_up_all()
