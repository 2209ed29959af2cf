"""The beat-scheduled refresh end to end: the beat entry's task goes through Redis to a real
Celery worker, which queues and runs the due audience's refresh (CI's PostgreSQL + Redis run)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from audiences import services
from audiences.models import Audience, AudienceRefresh
from config.celery import app
from tests.factories import CustomerProfileFactory

pytestmark = [
    pytest.mark.redis_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)"),
]


@pytest.mark.django_db(transaction=True)
def test_beat_entry_refreshes_a_due_audience_through_a_real_worker(organization):
    CustomerProfileFactory.create_batch(3, organization=organization, attributes={"vip": True})
    CustomerProfileFactory(organization=organization, attributes={"vip": False})
    audience = services.create_audience(
        organization=organization,
        data={"name": "VIPs", "refresh_interval_seconds": 30},
        rules=[{"field": "attributes.vip", "operator": "eq", "values": [True]}],
    )
    entry = settings.CELERY_BEAT_SCHEDULE["enqueue-due-audience-refreshes"]
    assert entry["schedule"] == 30
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        app.send_task(entry["task"]).get(timeout=30)  # what beat sends every 30 s
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if AudienceRefresh.objects.filter(audience=audience, status="completed").exists():
                break
            time.sleep(0.2)
    audience = Audience.objects.get(pk=audience.pk)
    assert audience.member_count == 3
    assert audience.refresh_queued_at is None
    assert audience.next_refresh_at > audience.last_refreshed_at
    log = AudienceRefresh.objects.get(audience=audience)
    assert (log.status, log.added, log.removed) == ("completed", 3, 0)
