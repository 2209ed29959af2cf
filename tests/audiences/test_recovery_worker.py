"""A real Celery worker process is killed (SIGKILL) in the middle of an import; a new worker and
the beat sweep finish it within minutes, with no membership lost or doubled (CI's PostgreSQL
+ Redis run).

The workers are separate processes (a thread cannot be SIGKILLed alone) pointed at this test's
database, which they see because the test is transactional: every row it writes is committed.
"""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audiences import imports, services
from audiences.models import AudienceImport, AudienceMembership
from config.celery import app
from customers.models import CustomerProfile

pytestmark = [
    pytest.mark.redis_worker,
    pytest.mark.postgres,  # the worker processes share the test database: a server, not a file
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)"),
]

ROWS = 150_000  # three chunks of 50,000: the worker is killed after the first is committed
DUPLICATES = 5  # ids repeated at the end: reported as bad rows across the resume
STALE_SECONDS = 5


def database_url() -> str:
    db = connection.settings_dict  # NAME is the test database's by now
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(name: str, env: dict, log_path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (closed by stop())
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker"),
            *("--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--loglevel=WARNING", "-n", f"{name}-{os.getpid()}@%h"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker.log = log
    return worker


def stop(worker: subprocess.Popen | None) -> None:
    if worker is None:
        return
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    worker.log.close()


def state(imp) -> tuple:
    return AudienceImport.objects.values_list("status", "processed", "total").get(pk=imp.pk)


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_is_resumed_and_finished(organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "WORK_STALE_AFTER_SECONDS": str(STALE_SECONDS),
    }
    env.pop("CELERY_BROKER_URL", None)
    audience = services.create_audience(organization=organization, data={"name": "Big"})
    lines = [f"r{i},r{i}@example.com\n" for i in range(ROWS)]
    lines += [f"r{i},again@example.com\n" for i in range(1, DUPLICATES + 1)]
    upload = SimpleUploadedFile("big.csv", ("integration_id,email\n" + "".join(lines)).encode())
    assert not app.conf.task_always_eager

    first = second = None
    try:
        first = start_worker("doomed", env, tmp_path / "first.log")
        imp = imports.start_import(audience=audience, uploaded_file=upload)  # queued at commit
        deadline = time.monotonic() + 90
        while state(imp)[1] == 0:  # until the first chunk is committed
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-3000:]
            assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        status, processed, total = state(imp)
        assert status == "running" and 0 < processed < total == ROWS + DUPLICATES

        second = start_worker("rescuer", env, tmp_path / "second.log")
        deadline = time.monotonic() + 180
        sweep = None
        while state(imp)[0] in ("pending", "running"):
            assert time.monotonic() < deadline, (tmp_path / "second.log").read_text()[-3000:]
            if sweep is None or sweep.ready():  # what beat sends every 30 s, one at a time
                sweep = app.send_task("audiences.tasks.resume_stalled_work")
            time.sleep(0.5)
        sweep.get(timeout=30)  # none left in the queue for the next test's worker
    finally:
        stop(first)
        stop(second)

    imp.refresh_from_db()
    assert (imp.status, imp.processed, imp.imported, imp.error_count) == (
        "completed",
        ROWS + DUPLICATES,
        ROWS,
        DUPLICATES,
    )
    assert imp.resumed_count == 1  # swept every second, resumed once
    assert imp.resumed_at is not None
    members = AudienceMembership.objects.filter(audience=audience)
    assert members.count() == members.values("profile_id").distinct().count() == ROWS
    assert CustomerProfile.objects.filter(organization=organization).count() == ROWS
    audience.refresh_from_db()
    assert audience.member_count == ROWS
