"""An import as a whole: starting it, running it chunk by chunk (resumable), finishing it
(replace mode, member counts, planner statistics) and cancelling it."""

import logging
import uuid

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from core.dispatch import enqueue
from core.errors import ConflictError
from customers.models import CustomerProfile
from organizations.tenancy import Actor

from .. import recovery
from ..models import AudienceImport, AudienceImportSeen, AudienceMembership
from ..sql import db_uuid
from ..uploads import check_upload_limits
from .reader import ImportFileError, chunks, count_rows, read_layout
from .writers import write_chunk

CHUNK_SIZE = 50_000
ANALYZE_AFTER = 50_000  # imported rows after which the tables' statistics are refreshed
Status = AudienceImport.Status

logger = logging.getLogger(__name__)


# -- requests ---------------------------------------------------------------------------------


def start_import(
    *, audience, uploaded_file, mode: str = "add", actor: Actor | None = None
) -> AudienceImport:
    """Check the file's size limits, store it, create the pending import and queue its task
    (after commit). Over a limit is a PayloadTooLargeError, and nothing is stored."""
    if audience.archived:
        raise ConflictError("This audience is archived; unarchive it to import into it.")
    check_upload_limits(uploaded_file)
    with transaction.atomic():
        imp = AudienceImport(
            organization_id=audience.organization_id,
            audience=audience,
            mode=mode,
            original_name=(getattr(uploaded_file, "name", "") or "")[:255],
            created_by=actor.user if actor else None,
            created_by_key=actor.api_key if actor else None,
            run_token=uuid.uuid4(),
        )
        imp.file.save(f"{imp.pk}.csv", uploaded_file, save=False)
        imp.save()
        enqueue(recovery.IMPORT_TASK, str(imp.pk), str(imp.run_token))
    return imp


def cancel_import(*, audience_import: AudienceImport) -> AudienceImport:
    """Ask a pending or running import to stop after its current chunk (already written
    chunks stay)."""
    updated = AudienceImport.objects.filter(
        pk=audience_import.pk, status__in=(Status.PENDING, Status.RUNNING)
    ).update(cancel_requested=True)
    if not updated:
        raise ConflictError(f"This import is {audience_import.status}; it cannot be cancelled.")
    AudienceImport.objects.filter(pk=audience_import.pk, status=Status.PENDING).update(
        status=Status.CANCELED, finished_at=timezone.now()
    )
    audience_import.refresh_from_db()
    return audience_import


def archive_import(*, audience_import: AudienceImport, archived: bool = True) -> AudienceImport:
    """Archive (or bring back) a finished import; one still pending or running cannot be."""
    if audience_import.status in (Status.PENDING, Status.RUNNING):
        raise ConflictError(f"This import is {audience_import.status}; let it finish first.")
    AudienceImport.objects.filter(pk=audience_import.pk).update(archived=archived)
    audience_import.refresh_from_db()
    return audience_import


# -- the run ----------------------------------------------------------------------------------


def run_import(
    *, import_id, token=None, chunk_size: int | None = None, after_chunk=None
) -> AudienceImport:
    """Run (or continue) an import. Safe to call again: finished imports are left alone and a
    running one continues after its last committed chunk. `token` names the queued run: it
    works only while it holds the import (audiences.recovery), stamping a heartbeat as it
    goes. `after_chunk(k)` is a test hook."""
    imp = AudienceImport.objects.select_related("audience").get(pk=import_id)
    if imp.status in (Status.COMPLETED, Status.FAILED, Status.CANCELED):
        return imp
    if imp.cancel_requested:
        return _finish(imp, Status.CANCELED)
    if not recovery.claim_import(import_id=imp.pk, token=token):
        return imp  # another run holds it and is alive
    imp.refresh_from_db()
    with recovery.import_heartbeat(import_id=imp.pk, token=token):
        return _run(imp, token, chunk_size or CHUNK_SIZE, after_chunk)


def _run(imp: AudienceImport, token, chunk_size: int, after_chunk) -> AudienceImport:
    path = imp.file.path
    try:
        layout = read_layout(path)
        if imp.total is None:
            imp.total = count_rows(path, layout)
            AudienceImport.objects.filter(pk=imp.pk).update(total=imp.total)
    except ImportFileError as exc:
        return _finish(imp, Status.FAILED, error_message=str(exc))

    failure = None
    for number, records in enumerate(chunks(path, layout, chunk_size), start=1):
        if number <= imp.chunks_done:
            continue  # committed before a crash
        try:
            with transaction.atomic():  # one chunk: rolled back whole if anything fails
                imp = AudienceImport.objects.select_for_update().get(pk=imp.pk)
                if imp.status != Status.RUNNING or not recovery.holds_import(imp, token):
                    return imp  # another run finished it, failed it or took it over meanwhile
                if imp.cancel_requested:
                    break
                if number <= imp.chunks_done:
                    continue  # another run of this import committed it while we waited
                result = write_chunk(imp, records, layout, timezone.now())
                room = AudienceImport.MAX_ERRORS_KEPT - len(imp.errors)
                imp.errors = imp.errors + result.errors[: max(room, 0)]
                imp.error_count += len(result.errors)
                imp.imported += result.imported
                imp.processed += len(records)
                imp.chunks_done = number
                imp.heartbeat_at = timezone.now()
                imp.save(
                    update_fields=[
                        "errors",
                        "error_count",
                        "imported",
                        "processed",
                        "chunks_done",
                        "heartbeat_at",
                        "updated_at",
                    ]
                )
        except (OperationalError, InterfaceError):
            raise  # lost connection, deadlock…: the task retries and resumes
        except Exception as exc:
            failure = exc
            break
        if after_chunk is not None:
            after_chunk(number)
    if failure is not None:
        logger.exception("import %s failed", imp.pk, exc_info=failure)
        return _finish(
            imp,
            Status.FAILED,
            error_message=f"Stopped by an unexpected error after {imp.processed:,} rows: "
            f"{type(failure).__name__}. The rows before it were imported.",
        )
    with transaction.atomic():
        # locked and checked: of two runs reaching the end, one finishes; the other must not
        # replace members after the first has dropped the ids it saw
        imp = AudienceImport.objects.select_for_update().get(pk=imp.pk)
        if imp.status != Status.RUNNING or not recovery.holds_import(imp, token):
            return imp
        if imp.cancel_requested:
            return _finish(imp, Status.CANCELED)
        if imp.mode == AudienceImport.Mode.REPLACE and imp.imported:
            _replace_members(imp)  # (a file with no good row never empties the audience)
        imp = _finish(imp, Status.COMPLETED)
    _refresh_statistics(imp)
    return imp


# -- the end ----------------------------------------------------------------------------------


def _finish(imp: AudienceImport, status: str, **fields) -> AudienceImport:
    AudienceImport.objects.filter(pk=imp.pk).update(
        status=status, finished_at=timezone.now(), **fields
    )
    AudienceImportSeen.objects.filter(audience_import=imp).delete()
    imp.refresh_from_db()
    return imp


def _replace_members(imp: AudienceImport) -> int:
    """Replace mode: imported members of the audience that are not in this file leave."""
    members = AudienceMembership._meta.db_table
    seen = AudienceImportSeen._meta.db_table
    profiles = CustomerProfile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {members} WHERE audience_id = %s AND source = 'import' "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {seen} s JOIN {profiles} p "
            "ON p.organization_id = %s AND p.integration_id = s.integration_id "
            f"WHERE s.audience_import_id = %s AND p.id = {members}.profile_id)",
            [db_uuid(imp.audience_id), db_uuid(imp.organization_id), db_uuid(imp.pk)],
        )
        return cursor.rowcount


def _refresh_statistics(imp: AudienceImport) -> None:
    """After a large import, let PostgreSQL's planner see the new rows at once (ANALYZE samples
    ~30,000 rows: well under a second). Autovacuum would get there within minutes, but until
    then a table that grew from a few rows is planned as if it still were tiny: right after
    importing 200,000 rows, one profile lookup by integration id scanned the whole
    organization, 40 ms instead of 0.04 ms (and django-import-export, run right after our
    import in bench/imports.py, fell to 5 rows/s)."""
    if connection.vendor != "postgresql" or imp.imported < ANALYZE_AFTER:
        return
    with connection.cursor() as cursor:
        for model in (CustomerProfile, AudienceMembership):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
