from celery import shared_task
from django.db import connection

from .idempotency import purge_idempotency_keys as purge_idempotency_keys_service


@shared_task
def purge_idempotency_keys() -> int:
    return purge_idempotency_keys_service()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def smoke(value: int) -> dict:
    """Proves the worker wiring: runs on a worker, reaches the database, returns JSON."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s + 1", [value])
        (result,) = cursor.fetchone()
    return {"value": result, "vendor": connection.vendor}
