from celery import shared_task

from .idempotency import purge_idempotency_keys as purge_idempotency_keys_service


@shared_task
def purge_idempotency_keys() -> int:
    return purge_idempotency_keys_service()
