"""Writing one chunk of an import, inside the caller's transaction: its rows are checked, the
integration ids an earlier chunk already had are bad rows (the "seen" bookkeeping,
`AudienceImportSeen`), and the good rows upsert their profiles (by integration_id) and get an
`import` membership.

On PostgreSQL a chunk is COPYed (psycopg 3 `cursor.copy`) into a temporary table, then merged
with set-based INSERT … ON CONFLICT; elsewhere (SQLite) the same statements run with
executemany. Attributes merge as customers.services.merge_attributes_sql says.
"""

import json
import uuid
from dataclasses import dataclass, field

from django.db import connection

from core.numbers import take_numbers
from customers.models import CustomerProfile
from customers.services import merge_attributes_sql

from ..models import AudienceImport, AudienceImportSeen, AudienceMembership
from ..sql import db_datetime, db_uuid
from .reader import Row, check_row

# -- the "seen" bookkeeping -------------------------------------------------------------------


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
                    [db_uuid(imp.pk), *batch],
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
                [(db_uuid(imp.pk), i, n) for i, n in first_rows.items()],
            )


# -- profiles and memberships -----------------------------------------------------------------

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


def _profile_merge(table: str) -> str:
    """The upsert's conflict clause; `table` names the profiles table in the statement. (The
    imported attributes are text, the kind of changes merge_attributes_sql merges as SQL.)"""
    merge, _ = merge_attributes_sql(f"{table}.attributes", "excluded.attributes")
    return PROFILE_MERGE.format(t=table, merge=merge)


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
        "last_name, attributes, %s, %s FROM import_chunk " + _profile_merge("p"),
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
    org = db_uuid(imp.organization_id)
    when = db_datetime(now)
    numbers = take_numbers(CustomerProfile, len(rows))  # a row that exists keeps its own
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {profiles} (id, number, organization_id, integration_id, email, "  # noqa: S608
            "msisdn, first_name, last_name, attributes, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) " + _profile_merge(profiles),
            [
                (
                    uuid.uuid4().hex,
                    number,
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
                for row, number in zip(rows, numbers, strict=True)
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
                [org, db_uuid(imp.audience_id), when, org, *batch],
            )
            touched += cursor.rowcount
        return touched


# -- a chunk ----------------------------------------------------------------------------------


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
