"""The real worker path: a task sent through the broker, run by a Celery worker, result back.

Runs where REDIS_URL is set (CI's PostgreSQL + Redis run); elsewhere tasks run eagerly and
this is skipped with that reason.
"""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from config.celery import app
from core.tasks import smoke

pytestmark = [
    pytest.mark.redis_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)"),
]


@pytest.mark.django_db(transaction=True)
def test_smoke_task_runs_on_a_real_worker_through_redis():
    assert not app.conf.task_always_eager
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = smoke.delay(41)
        assert result.get(timeout=30) == {"value": 42, "vendor": connection.vendor}
    assert result.successful()
