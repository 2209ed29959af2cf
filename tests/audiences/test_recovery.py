"""Work that survives a killed worker (audiences.recovery): heartbeats, the beat sweep that
queues stopped imports and refreshes again exactly once, runs that step aside when another
took over, and the admin page saying so."""

import datetime as dt
import time
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audiences import imports, recovery, services, tasks
from audiences.imports import runner
from audiences.models import Audience, AudienceImport, AudienceMembership, AudienceRefresh
from audiences.services import refresh
from organizations.models import Role
from tests.factories import AudienceImportFactory, CustomerProfileFactory

pytestmark = pytest.mark.django_db

STALE = dt.timedelta(seconds=121)  # just past the default WORK_STALE_AFTER_SECONDS
TEXT = "integration_id,city\n" + "".join(f"c{i},Leeds\n" for i in range(10)) + "c2,York\n"


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing catches it."""


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.WORK_STALE_AFTER_SECONDS = 120
    monkeypatch.setattr(runner, "CHUNK_SIZE", 4)  # 11 rows: chunks of 4, 4 and 3


@pytest.fixture
def queued(monkeypatch):
    """What gets queued, instead of running it."""
    calls = []
    for name in ("run_import_task", "refresh_audience_task"):
        monkeypatch.setattr(
            f"audiences.tasks.{name}.delay", lambda *args, name=name: calls.append((name, *args))
        )
    return calls


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The beat sweep at a given time, its after-commit enqueues executed."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return recovery.resume_stalled_work(now=now)

    return run


@pytest.fixture
def audience(organization):
    return services.create_audience(organization=organization, data={"name": "Imported"})


def upload(audience, text=TEXT):
    with pytest.MonkeyPatch.context() as patch:  # create without running; tests run it
        patch.setattr("audiences.tasks.run_import_task.delay", lambda *a, **k: None)
        return imports.start_import(
            audience=audience, uploaded_file=SimpleUploadedFile("people.csv", text.encode())
        )


def crash_after(chunk):
    def hook(number):
        if number == chunk:
            raise WorkerDied

    return hook


def crashed_import(audience) -> AudienceImport:
    """An import whose worker was killed after committing two chunks (8 of 11 rows)."""
    imp = upload(audience)
    with pytest.raises(WorkerDied):
        imports.run_import(import_id=imp.pk, token=imp.run_token, after_chunk=crash_after(2))
    imp.refresh_from_db()
    assert (imp.status, imp.chunks_done, imp.processed) == ("running", 2, 8)
    assert imp.heartbeat_at is not None
    return imp


def assert_fully_imported(imp, audience):
    imp.refresh_from_db()
    assert (imp.status, imp.processed, imp.imported, imp.error_count) == ("completed", 11, 10, 1)
    assert imp.errors == [{"row": 12, "issues": ["integration_id “c2” already appears on row 4."]}]
    assert audience.memberships.count() == 10  # none lost, none twice
    audience.refresh_from_db()
    assert audience.member_count == 10


# -- imports ----------------------------------------------------------------------------------


def test_a_stopped_import_is_queued_again_once_and_finishes_from_its_checkpoint(
    audience, queued, sweep
):
    imp = crashed_import(audience)
    first_token = imp.run_token
    later = imp.heartbeat_at + STALE
    assert sweep(later) == {"imports": 1, "refreshes": 0}
    imp.refresh_from_db()
    assert (imp.resumed_count, imp.resumed_at, imp.heartbeat_at) == (1, later, None)
    assert imp.run_token != first_token
    assert queued == [("run_import_task", str(imp.pk), str(imp.run_token))]

    # beat keeps sweeping while the new run waits in the queue: nothing is queued twice
    assert sweep(later + dt.timedelta(seconds=30)) == {"imports": 0, "refreshes": 0}
    assert sweep(later + dt.timedelta(hours=2)) == {"imports": 0, "refreshes": 0}
    assert len(queued) == 1

    tasks.run_import_task(*queued[0][1:])  # the queued run, as a worker would run it
    assert_fully_imported(imp, audience)
    assert imp.resumed_count == 1
    assert sweep(later + dt.timedelta(hours=3)) == {"imports": 0, "refreshes": 0}


def test_an_import_with_a_fresh_heartbeat_is_left_alone(audience, queued, sweep):
    imp = crashed_import(audience)
    assert sweep(imp.heartbeat_at + dt.timedelta(seconds=119)) == {"imports": 0, "refreshes": 0}
    imp.refresh_from_db()
    assert (imp.resumed_count, queued) == (0, [])


def test_the_setting_decides_when_an_import_counts_as_stopped(audience, queued, sweep, settings):
    imp = crashed_import(audience)
    settings.WORK_STALE_AFTER_SECONDS = 10
    assert sweep(imp.heartbeat_at + dt.timedelta(seconds=9))["imports"] == 0
    assert sweep(imp.heartbeat_at + dt.timedelta(seconds=11))["imports"] == 1


@pytest.mark.parametrize("status", ["pending", "completed", "failed", "canceled"])
def test_imports_that_are_not_running_are_never_resumed(organization, queued, sweep, status):
    long_ago = timezone.now() - dt.timedelta(days=1)
    imp = AudienceImportFactory(organization=organization, status=status, heartbeat_at=long_ago)
    assert sweep(timezone.now() + STALE) == {"imports": 0, "refreshes": 0}
    imp.refresh_from_db()
    assert (imp.status, imp.resumed_count, queued) == (status, 0, [])


def test_a_slow_run_that_was_taken_over_steps_aside(audience, queued, sweep):
    """The old run was only slow (no heartbeat for too long): after the sweep gives the import
    to a new run, the old one stops at its next chunk, and a re-delivery of its message later
    does nothing while the new run is alive."""
    imp = upload(audience)
    old_token = imp.run_token

    def looked_dead_after_first(number):
        if number == 1:
            assert sweep(timezone.now() + STALE)["imports"] == 1

    done = imports.run_import(
        import_id=imp.pk, token=old_token, after_chunk=looked_dead_after_first
    )
    assert (done.status, done.processed) == ("running", 4)  # stopped before chunk 2
    again = imports.run_import(import_id=imp.pk, token=old_token)  # the re-delivered message
    assert (again.status, again.processed) == ("running", 4)
    tasks.run_import_task(*queued[0][1:])
    assert_fully_imported(imp, audience)


def test_a_redelivered_message_takes_over_only_a_stopped_run(audience, queued, sweep):
    imp = upload(audience)
    old_token = imp.run_token
    AudienceImport.objects.filter(pk=imp.pk).update(
        status="running", run_token=uuid.uuid4(), heartbeat_at=timezone.now()
    )
    assert imports.run_import(import_id=imp.pk, token=old_token).processed == 0  # holder alive
    AudienceImport.objects.filter(pk=imp.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5)
    )
    imports.run_import(import_id=imp.pk, token=old_token)  # holder stopped: taken over
    assert_fully_imported(imp, audience)
    assert imp.resumed_count == 1


def test_a_retry_of_the_same_run_goes_on_despite_its_fresh_heartbeat(audience):
    imp = crashed_import(audience)  # e.g. a lost database connection, retried by Celery
    imports.run_import(import_id=imp.pk, token=imp.run_token)
    assert_fully_imported(imp, audience)
    assert imp.resumed_count == 0


def test_a_resumed_import_cancelled_before_its_new_run_keeps_counts_right(audience, queued, sweep):
    imp = crashed_import(audience)
    sweep(imp.heartbeat_at + STALE)
    imports.cancel_import(audience_import=imp)
    imp = imports.run_import(import_id=imp.pk, token=queued[0][2])
    assert (imp.status, imp.processed) == ("canceled", 8)
    audience.refresh_from_db()
    assert audience.member_count == audience.memberships.count() == 8


def test_the_beat_entry_runs_the_sweep_task(audience, queued):
    entry = settings.CELERY_BEAT_SCHEDULE["resume-stalled-work"]
    assert entry == {"task": "audiences.tasks.resume_stalled_work", "schedule": 30}
    imp = crashed_import(audience)
    later = (imp.heartbeat_at + STALE).isoformat()
    assert tasks.resume_stalled_work.delay(later).get() == {"imports": 1, "refreshes": 0}


# -- refreshes --------------------------------------------------------------------------------


@pytest.fixture
def refreshing(organization):
    """An audience whose refresh claim was taken by a worker 10 minutes ago."""
    CustomerProfileFactory.create_batch(3, organization=organization, attributes={"vip": True})
    audience = services.create_audience(
        organization=organization,
        data={"name": "VIPs"},
        rules=[{"field": "attributes.vip", "operator": "eq", "values": [True]}],
    )
    started = timezone.now() - dt.timedelta(minutes=10)
    Audience.objects.filter(pk=audience.pk).update(refresh_started_at=started)
    return audience


def beat_at(audience, when):
    Audience.objects.filter(pk=audience.pk).update(refresh_heartbeat_at=when)


def test_a_stopped_refresh_is_queued_again_once(refreshing, queued, sweep):
    now = timezone.now()
    beat_at(refreshing, now - STALE)
    assert sweep(now) == {"imports": 0, "refreshes": 1}
    assert queued == [("refresh_audience_task", str(refreshing.pk))]
    refreshing.refresh_from_db()
    assert refreshing.refresh_started_at is None
    assert refreshing.refresh_queued_at == now  # so "refresh now" does not queue a second one
    assert services.request_refresh(audience=refreshing) is False
    assert sweep(now + dt.timedelta(seconds=1)) == {"imports": 0, "refreshes": 0}
    tasks.refresh_audience_task(str(refreshing.pk))
    refreshing.refresh_from_db()
    assert refreshing.member_count == 3
    assert (refreshing.refresh_started_at, refreshing.refresh_queued_at) == (None, None)
    assert len(queued) == 1


def test_a_refresh_with_a_fresh_heartbeat_is_neither_resumed_nor_doubled(refreshing, queued, sweep):
    """Started 40 minutes ago (the old rule took such a claim as dead) but still beating."""
    now = timezone.now()
    Audience.objects.filter(pk=refreshing.pk).update(
        refresh_started_at=now - dt.timedelta(minutes=40)
    )
    beat_at(refreshing, now - dt.timedelta(seconds=20))
    assert sweep(now) == {"imports": 0, "refreshes": 0}
    assert services.refresh_audience(audience_id=refreshing.pk).status == "skipped"
    assert queued == []


def test_a_dead_refresh_claim_is_taken_within_minutes_not_half_an_hour(refreshing):
    beat_at(refreshing, timezone.now() - STALE)  # claimed 10 minutes ago, silent for 2
    log = services.refresh_audience(audience_id=refreshing.pk)
    assert (log.status, log.added) == ("completed", 3)
    refreshing.refresh_from_db()
    assert (refreshing.refresh_started_at, refreshing.refresh_heartbeat_at) == (None, None)


def test_a_claim_from_before_heartbeats_is_judged_by_when_it_started(refreshing):
    assert services.refresh_audience(audience_id=refreshing.pk).status == "completed"


def test_an_idle_audience_is_not_touched(organization, queued, sweep):
    audience = services.create_audience(organization=organization, data={"name": "Idle"})
    beat_at(audience, timezone.now() - dt.timedelta(days=1))  # (a stray stamp, no claim)
    assert sweep(timezone.now()) == {"imports": 0, "refreshes": 0}
    assert queued == []


def test_a_stopped_refresh_of_an_archived_audience_is_only_released(refreshing, queued, sweep):
    Audience.objects.filter(pk=refreshing.pk).update(archived=True)
    beat_at(refreshing, timezone.now() - STALE)
    assert sweep(timezone.now()) == {"imports": 0, "refreshes": 0}
    refreshing.refresh_from_db()
    assert (refreshing.refresh_started_at, refreshing.refresh_queued_at, queued) == (
        None,
        None,
        [],
    )


def test_a_refresh_that_lost_its_claim_leaves_the_new_claim_alone(organization, monkeypatch):
    """A refresh taken for dead (its claim given to another run) still finishes its work but
    does not release the other run's claim."""
    audience = services.create_audience(
        organization=organization,
        data={"name": "A"},
        rules=[{"field": "email", "operator": "exists"}],
    )
    other = timezone.now() + dt.timedelta(seconds=1)
    apply = refresh._apply_rule_diff

    def taken_over_meanwhile(audience, now):
        Audience.objects.filter(pk=audience.pk).update(
            refresh_started_at=other, refresh_heartbeat_at=other
        )
        return apply(audience, now)

    monkeypatch.setattr(refresh, "_apply_rule_diff", taken_over_meanwhile)
    assert services.refresh_audience(audience_id=audience.pk).status == "completed"
    audience.refresh_from_db()
    assert (audience.refresh_started_at, audience.refresh_heartbeat_at) == (other, other)
    assert audience.last_refreshed_at is not None


# -- the heartbeat thread ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_stamps_while_the_work_runs_and_stops_after(organization, settings):
    settings.WORK_STALE_AFTER_SECONDS = 2  # a stamp every 0.5 s
    long_ago = timezone.now() - dt.timedelta(hours=1)
    imp = AudienceImportFactory(organization=organization, status="running", heartbeat_at=long_ago)
    with recovery.import_heartbeat(import_id=imp.pk, token=None):
        time.sleep(1.3)
        imp.refresh_from_db()
        assert imp.heartbeat_at > long_ago + dt.timedelta(minutes=59)
    last = AudienceImport.objects.get(pk=imp.pk).heartbeat_at
    time.sleep(0.8)
    assert AudienceImport.objects.get(pk=imp.pk).heartbeat_at == last


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_long_refresh_stamps_its_heartbeat_while_its_transaction_is_open(
    organization, settings, monkeypatch
):
    settings.WORK_STALE_AFTER_SECONDS = 2
    audience = services.create_audience(
        organization=organization,
        data={"name": "A"},
        rules=[{"field": "email", "operator": "exists"}],
    )
    seen = []
    apply = refresh._apply_rule_diff

    def slow(audience, now):
        time.sleep(1.3)  # a long INSERT … SELECT
        seen.append(Audience.objects.values_list("refresh_heartbeat_at", flat=True).get())
        return apply(audience, now)

    monkeypatch.setattr(refresh, "_apply_rule_diff", slow)
    started = timezone.now()
    assert services.refresh_audience(audience_id=audience.pk, now=started).status == "completed"
    assert seen[0] > started + dt.timedelta(seconds=0.4)  # committed by the thread meanwhile
    assert AudienceRefresh.objects.filter(audience=audience).count() == 1


# -- admin ------------------------------------------------------------------------------------


def test_the_admin_import_page_says_it_was_resumed(
    client, organization, staff_user_factory, audience, queued, sweep
):
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    imp = crashed_import(audience)
    url = f"/admin/audiences/audienceimport/{imp.pk}/change/"
    assert "resumed after a worker stopped" not in client.get(url).content.decode().lower()
    sweep(imp.heartbeat_at + STALE)
    tasks.run_import_task(*queued[0][1:])
    page = client.get(url).content.decode()
    assert "Resumed after a worker stopped" in page
    assert AudienceMembership.objects.filter(audience=audience).count() == 10
