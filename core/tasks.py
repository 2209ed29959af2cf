from celery import shared_task
from django.db import connection


@shared_task(acks_late=True, reject_on_worker_lost=True)
def smoke(value: int) -> dict:
    """Proves the worker wiring: runs on a worker, reaches the database, returns JSON."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s + 1", [value])
        (result,) = cursor.fetchone()
    return {"value": result, "vendor": connection.vendor}
