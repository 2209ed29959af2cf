"""CSV imports into an audience: read, validate and write in chunks, resumably.

A file is read twice, streaming (memory stays flat with its size):
1. a check pass: encoding, CSV shape and the header, and the row count (`total`); a file that
   fails here changes nothing;
2. the import pass, in chunks of CHUNK_SIZE rows. Each chunk is one transaction: bad rows are
   recorded ({row, issues}), the good ones upsert their profiles (by integration_id) and get
   an `import` membership, and the import's counters and `chunks_done` move on. After a crash,
   running the import again skips the committed chunks, so nothing is duplicated or lost;
   while it runs it stamps a heartbeat, and beat queues it again within minutes when the
   heartbeat stops (`audiences.recovery`).
On PostgreSQL a chunk is COPYed (psycopg 3 `cursor.copy`) into a temporary table, then merged
with set-based INSERT … ON CONFLICT; on SQLite the same statements run with executemany.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is 2.
"""

import csv
import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from audiences.uploads import check_upload_limits
from core.dispatch import enqueue
from core.errors import ConflictError
from core.validators import is_clean_text
from customers.models import CustomerProfile
from customers.validators import E164_RE, MAX_ATTRIBUTES, is_valid_attribute_key, is_valid_email

from . import recovery
from .models import AudienceImport, AudienceImportSeen, AudienceMembership
from .services import recount_members

CHUNK_SIZE = 50_000
ANALYZE_AFTER = 50_000  # imported rows after which the tables' statistics are refreshed
PROFILE_COLUMNS = ("integration_id", "email", "msisdn", "first_name", "last_name")
MAX_LENGTH = {
    "integration_id": 255,
    "email": 254,
    "msisdn": 16,
    "first_name": 150,
    "last_name": 150,
}
MAX_ATTRIBUTE_VALUE = 1000
Status = AudienceImport.Status

csv.field_size_limit(1_000_000)
logger = logging.getLogger(__name__)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class Layout:
    delimiter: str
    columns: list[str]  # profile column name or attribute name, per position
    attribute_positions: list[int] = field(default_factory=list)


@dataclass
class Row:
    number: int
    integration_id: str
    values: dict  # profile column -> value ('' when empty or absent)
    attributes: dict


def _open(path):
    # utf-8-sig drops a BOM if there is one; errors surface as UnicodeDecodeError. newline=""
    # leaves line breaks to the csv module, so U+2028 or a form feed inside a cell stays there.
    return open(path, encoding="utf-8-sig", errors="strict", newline="", buffering=1 << 20)


def read_layout(path) -> Layout:
    try:
        with _open(path) as handle:
            header_line = handle.readline()
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it as CSV UTF-8 and retry."
        ) from None
    if "\x00" in header_line:
        raise ImportFileError("This is not a CSV file (it contains binary data).")
    if not header_line.strip():
        raise ImportFileError("The file is empty: the first line must name the columns.")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        names = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"The header line cannot be read as CSV: {exc}.") from None
    columns, seen, bad = [], set(), []
    for raw in names:
        name = raw.strip()
        lowered = name.lower()
        if lowered in PROFILE_COLUMNS:
            name = lowered
        else:
            name = re.sub(r"\s+", "_", name)
            if not is_valid_attribute_key(name):
                bad.append(raw)
        if name.lower() in seen:  # header names are case-insensitive
            raise ImportFileError(f"The column “{raw.strip()}” appears twice in the header.")
        seen.add(name.lower())
        columns.append(name)
    if "integration_id" not in columns:
        raise ImportFileError(
            "The header has no integration_id column (found: "
            + ", ".join(n.strip() for n in names[:10])
            + ")."
        )
    if bad:
        raise ImportFileError(
            "These column names cannot be attribute names: "
            + ", ".join(f"“{b.strip()}”" for b in bad[:10])
            + ". Use letters, digits, '_' or '-', starting with a letter."
        )
    attribute_positions = [i for i, c in enumerate(columns) if c not in PROFILE_COLUMNS]
    if len(attribute_positions) > MAX_ATTRIBUTES:
        raise ImportFileError(
            f"The file has {len(attribute_positions)} attribute columns; a profile holds at "
            f"most {MAX_ATTRIBUTES} attributes."
        )
    return Layout(delimiter=delimiter, columns=columns, attribute_positions=attribute_positions)


def _records(path, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for every data row; blank lines are skipped."""
    with _open(path) as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter)
        next(reader, None)
        number = 1
        for cells in reader:
            number += 1
            if not cells or (len(cells) == 1 and not cells[0].strip(" \t\x1a")):
                continue  # blank lines, and the end-of-file mark old Windows tools add
            yield number, cells


def count_rows(path, layout: Layout) -> int:
    """The check pass: reads the whole file (encoding, CSV shape) and counts data rows."""
    try:
        return sum(1 for _ in _records(path, layout))
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text (some bytes cannot be read). Save it as CSV UTF-8."
        ) from None
    except csv.Error as exc:
        raise ImportFileError(f"The file cannot be read as CSV: {exc}.") from None


def check_row(number: int, cells: list[str], layout: Layout) -> tuple[Row | None, list[str]]:
    """The row, or the issues that keep it out."""
    issues = []
    if len(cells) != len(layout.columns):
        return None, [f"Expected {len(layout.columns)} columns, found {len(cells)}."]
    if not all(is_clean_text(cell) for cell in cells):  # never echo such text back
        return None, ["The row contains characters that cannot be stored (e.g. NUL)."]
    values = dict.fromkeys(PROFILE_COLUMNS, "")
    for position, column in enumerate(layout.columns):
        if column in values:
            values[column] = cells[position].strip()
    values["email"] = values["email"].lower()  # before the length check: "İ".lower() grows
    integration_id = values["integration_id"]
    if not integration_id:
        issues.append("integration_id is missing.")
    for column, limit in MAX_LENGTH.items():
        if len(values[column]) > limit:
            issues.append(f"{column} is longer than {limit} characters.")
    email = values["email"]
    if email and not is_valid_email(email):
        issues.append(f"email “{email[:100]}” is not a valid address.")
    if values["msisdn"] and not E164_RE.match(values["msisdn"]):
        issues.append(f"msisdn “{values['msisdn'][:30]}” is not E.164 (e.g. +14155550123).")
    attributes = {}
    for position in layout.attribute_positions:
        value = cells[position].strip()
        if not value:
            continue
        if len(value) > MAX_ATTRIBUTE_VALUE:
            issues.append(f"{layout.columns[position]} is longer than {MAX_ATTRIBUTE_VALUE}.")
        attributes[layout.columns[position]] = value
    if issues:
        return None, issues
    return Row(number, integration_id, values, attributes), []


# -- writing a chunk --------------------------------------------------------------------------


def _db_uuid(value):
    return AudienceImport._meta.pk.get_db_prep_value(value, connection)


def _now_param(now):
    return connection.ops.adapt_datetimefield_value(now)


def _seen_before(imp: AudienceImport, ids: list[str]) -> dict[str, int]:
    """integration_id -> row number, for ids an earlier chunk of this file already had."""
    found: dict[str, int] = {}
    table = AudienceImportSeen._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT integration_id, row_number FROM {table} "  # noqa: S608
                "WHERE audience_import_id = %s AND integration_id = ANY(%s)",
                [imp.pk, ids],
            )
            found.update(cursor.fetchall())
        else:
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    f"SELECT integration_id, row_number FROM {table} "  # noqa: S608
                    f"WHERE audience_import_id = %s AND integration_id IN ({marks})",
                    [_db_uuid(imp.pk), *batch],
                )
                found.update(cursor.fetchall())
    return found


def _remember(imp: AudienceImport, first_rows: dict[str, int]) -> None:
    table = AudienceImportSeen._meta.db_table
    columns = "(audience_import_id, integration_id, row_number)"
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy,
        ):
            for integration_id, number in first_rows.items():
                copy.write_row((imp.pk, integration_id, number))
    else:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} {columns} VALUES (%s, %s, %s)",  # noqa: S608
                [(_db_uuid(imp.pk), i, n) for i, n in first_rows.items()],
            )


# New profile ids that start with the time (like UUIDv7): the new rows of a chunk land next
# to each other in the primary-key index instead of all over it
TIME_ORDERED_UUID = (
    "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') "
    "|| '7' || substr(md5(random()::text), 1, 19))::uuid"
)

PROFILE_MERGE = """
ON CONFLICT (organization_id, integration_id) DO UPDATE SET
  email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE {t}.email END,
  msisdn = CASE WHEN excluded.msisdn <> '' THEN excluded.msisdn ELSE {t}.msisdn END,
  first_name = CASE WHEN excluded.first_name <> '' THEN excluded.first_name ELSE {t}.first_name END,
  last_name = CASE WHEN excluded.last_name <> '' THEN excluded.last_name ELSE {t}.last_name END,
  attributes = {merge},
  updated_at = excluded.updated_at
"""


def prepare_import_chunk(cursor) -> None:
    """An empty temporary `import_chunk` table for this transaction's chunk."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS import_chunk (integration_id text, email text, "
        "msisdn text, first_name text, last_name text, attributes jsonb) ON COMMIT DELETE ROWS"
    )
    cursor.execute("TRUNCATE import_chunk")


def _write_rows_postgres(imp: AudienceImport, rows: list[Row], now) -> int:
    with connection.cursor() as cursor:
        prepare_import_chunk(cursor)
        with cursor.cursor.copy(
            "COPY import_chunk (integration_id, email, msisdn, first_name, last_name, attributes) "
            "FROM STDIN"
        ) as copy:
            for row in rows:
                v = row.values
                copy.write_row(
                    (
                        row.integration_id,
                        v["email"],
                        v["msisdn"],
                        v["first_name"],
                        v["last_name"],
                        json.dumps(row.attributes) if row.attributes else "{}",
                    )
                )
        return merge_import_chunk(cursor, imp, now)


def merge_import_chunk(cursor, imp: AudienceImport, now) -> int:
    """The set-based half of a PostgreSQL chunk: the rows in `import_chunk` upsert their
    profiles and join the audience. Returns how many joined. (bench/imports.py also times
    these statements alone, as the floor under what an import can cost.)"""
    profiles = CustomerProfile._meta.db_table
    members = AudienceMembership._meta.db_table
    cursor.execute(
        f"INSERT INTO {profiles} AS p (id, organization_id, integration_id, email, msisdn, "  # noqa: S608
        "first_name, last_name, attributes, created_at, updated_at) "
        f"SELECT {TIME_ORDERED_UUID}, %s, integration_id, email, msisdn, first_name, "
        "last_name, attributes, %s, %s FROM import_chunk "
        + PROFILE_MERGE.format(t="p", merge="p.attributes || excluded.attributes"),
        [imp.organization_id, now, now],
    )
    cursor.execute(
        f"INSERT INTO {members} AS m (organization_id, audience_id, profile_id, source, "  # noqa: S608
        f"added_at) SELECT %s, %s, p.id, 'import', %s FROM import_chunk c JOIN {profiles} p "
        "ON p.organization_id = %s AND p.integration_id = c.integration_id "
        "ON CONFLICT (audience_id, profile_id) DO UPDATE SET source = 'import' "
        "WHERE m.source = 'rule'",
        [imp.organization_id, imp.audience_id, now, imp.organization_id],
    )
    return cursor.rowcount


def _write_rows_portable(imp: AudienceImport, rows: list[Row], now) -> int:
    profiles = CustomerProfile._meta.db_table
    members = AudienceMembership._meta.db_table
    org = _db_uuid(imp.organization_id)
    when = _now_param(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {profiles} (id, organization_id, integration_id, email, msisdn, "  # noqa: S608
            "first_name, last_name, attributes, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            + PROFILE_MERGE.format(
                t=profiles, merge=f"json_patch({profiles}.attributes, excluded.attributes)"
            ),
            [
                (
                    uuid.uuid4().hex,
                    org,
                    row.integration_id,
                    row.values["email"],
                    row.values["msisdn"],
                    row.values["first_name"],
                    row.values["last_name"],
                    json.dumps(row.attributes),
                    when,
                    when,
                )
                for row in rows
            ],
        )
        touched = 0
        ids = [row.integration_id for row in rows]
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"INSERT INTO {members} (organization_id, audience_id, profile_id, source, "  # noqa: S608
                f"added_at) SELECT %s, %s, p.id, 'import', %s FROM {profiles} p "
                f"WHERE p.organization_id = %s AND p.integration_id IN ({marks}) "
                "ON CONFLICT (audience_id, profile_id) DO UPDATE SET source = 'import' "
                f"WHERE {members}.source = 'rule'",
                [org, _db_uuid(imp.audience_id), when, org, *batch],
            )
            touched += cursor.rowcount
        return touched


@dataclass
class ChunkResult:
    imported: int = 0
    errors: list = field(default_factory=list)  # [{row, issues}]


def write_chunk(
    imp: AudienceImport, records: list[tuple[int, list[str]]], layout, now
) -> ChunkResult:
    """Validate a chunk and write its good rows (inside the caller's transaction)."""
    result = ChunkResult()
    good: dict[str, Row] = {}
    for number, cells in records:
        row, issues = check_row(number, cells, layout)
        if row is not None and row.integration_id in good:
            issues = [
                f"integration_id “{row.integration_id}” already appears on row "
                f"{good[row.integration_id].number}."
            ]
            row = None
        if row is None:
            result.errors.append({"row": number, "issues": issues})
        else:
            good[row.integration_id] = row
    earlier = _seen_before(imp, list(good)) if good else {}
    for integration_id, first in earlier.items():
        row = good.pop(integration_id)
        result.errors.append(
            {
                "row": row.number,
                "issues": [f"integration_id “{integration_id}” already appears on row {first}."],
            }
        )
    result.errors.sort(key=lambda e: e["row"])
    if good:
        _remember(imp, {i: r.number for i, r in good.items()})
        rows = list(good.values())
        if connection.vendor == "postgresql":
            _write_rows_postgres(imp, rows, now)
        else:
            _write_rows_portable(imp, rows, now)
    result.imported = len(good)
    return result


# -- the import as a whole --------------------------------------------------------------------


def _chunks(path, layout, size) -> Iterator[list[tuple[int, list[str]]]]:
    chunk = []
    for record in _records(path, layout):
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
            [_db_uuid(imp.audience_id), _db_uuid(imp.organization_id), _db_uuid(imp.pk)],
        )
        return cursor.rowcount


def run_import(
    *, import_id, token=None, chunk_size: int | None = None, after_chunk=None
) -> AudienceImport:
    """Run (or continue) an import. Safe to call again: finished imports are left alone and a
    running one continues after its last committed chunk. `token` names the queued run: it
    works only while it holds the import (audiences.recovery), stamping a heartbeat as it
    goes. `after_chunk(k)` is a test hook."""
    imp = AudienceImport.objects.select_related("audience").get(pk=import_id)
    if imp.status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
        return imp
    if imp.cancel_requested:
        if imp.chunks_done:  # a resumed import cancelled before its new run started
            recount_members(audience_ids=[imp.audience_id])
        return _finish(imp, Status.CANCELLED)
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
    for number, records in enumerate(_chunks(path, layout, chunk_size), start=1):
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
            recount_members(audience_ids=[imp.audience_id])
            return _finish(imp, Status.CANCELLED)
        if imp.mode == AudienceImport.Mode.REPLACE and imp.imported:
            _replace_members(imp)  # (a file with no good row never empties the audience)
        recount_members(audience_ids=[imp.audience_id])
        imp = _finish(imp, Status.COMPLETED)
    _refresh_statistics(imp)
    return imp


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


# -- requests ---------------------------------------------------------------------------------


def start_import(*, audience, uploaded_file, mode: str = "add", actor=None) -> AudienceImport:
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
            created_by=actor,
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
        status=Status.CANCELLED, finished_at=timezone.now()
    )
    audience_import.refresh_from_db()
    return audience_import
