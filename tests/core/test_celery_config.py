from django.conf import settings

from config.celery import app
from core.tasks import smoke


def test_long_tasks_are_acked_late_and_rejected_on_worker_loss():
    assert smoke.acks_late is True
    assert smoke.reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert "purge-expired-idempotency-keys" in app.conf.beat_schedule
    if settings.CELERY_BROKER_URL.startswith("redis"):
        # longer than any task, so Redis never re-delivers a task that is still running
        visibility = app.conf.broker_transport_options["visibility_timeout"]
        assert visibility > app.conf.task_time_limit
