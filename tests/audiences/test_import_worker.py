"""An import end to end through Redis and a real Celery worker (CI's PostgreSQL + Redis run)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from audiences import imports, services
from audiences.models import AudienceImport
from config.celery import app

pytestmark = [
    pytest.mark.redis_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)"),
]


@pytest.mark.django_db(transaction=True)
def test_uploaded_csv_is_imported_by_a_real_worker(organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    audience = services.create_audience(organization=organization, data={"name": "Imported"})
    rows = "".join(f"w{i},w{i}@example.com\n" for i in range(500))
    upload = SimpleUploadedFile("people.csv", f"integration_id,email\n{rows}w1,dup\n".encode())
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        imp = imports.start_import(audience=audience, uploaded_file=upload)  # queued on commit
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            imp.refresh_from_db()
            if imp.status not in ("pending", "running"):
                break
            time.sleep(0.2)
    assert (imp.status, imp.total, imp.imported, imp.error_count) == ("completed", 501, 500, 1)
    audience.refresh_from_db()
    assert audience.member_count == 500
    assert AudienceImport.objects.count() == 1
