"""Audience sizes kept by database triggers vs recounted by the writer (how it was before), and
what the triggers add to a bulk insert, in one run on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/counts.py

- small write: add 10 members to an audience of N (BENCH_COUNT_MEMBERS, default 500,000).
  Recounting costs a count of all N members per write; the trigger adds 10. Target: the
  trigger's write within 1.5x of the bare insert, and far below the recount.
- bulk write: insert 50,000 members (an import chunk) with and without the triggers.
  Target: the triggers add at most 10%.
Runs on PostgreSQL only (SQLite's triggers cannot be switched off to compare).
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from audiences.models import Audience, AudienceMembership  # noqa: E402
from core.db import recount_sql  # noqa: E402
from organizations.models import Organization  # noqa: E402

N = int(os.environ.get("BENCH_COUNT_MEMBERS", 500_000))
CHUNK = 50_000
ROUNDS = 7
MEMBERS = AudienceMembership._meta.db_table
PROFILES = "customers_customerprofile"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def insert_members(cursor, org, audience, offset, count) -> None:
    """`count` memberships for the profiles numbered offset+1..offset+count."""
    cursor.execute(
        f"INSERT INTO {MEMBERS} (organization_id, audience_id, profile_id, source, added_at) "
        f"SELECT %s, %s, id, 'api', now() FROM {PROFILES} "
        "WHERE organization_id = %s AND integration_id = ANY(%s)",
        [org.pk, audience.pk, org.pk, [f"c-{i}" for i in range(offset + 1, offset + count + 1)]],
    )


def rounds(fn) -> float:
    """Median of fn() over ROUNDS, each in a transaction rolled back afterwards."""
    times = []
    for _ in range(ROUNDS):
        with transaction.atomic():
            with connection.cursor() as cursor:
                times.append(timed(lambda cursor=cursor: fn(cursor)))
            transaction.set_rollback(True)
    return statistics.median(times)


def main() -> None:
    if connection.vendor != "postgresql":
        print("bench/counts.py runs on PostgreSQL only (set DATABASE_URL)")
        return
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    audience = Audience.objects.create(organization=org, name="big")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {PROFILES} (id, organization_id, integration_id, email, msisdn, "
                "first_name, last_name, attributes, created_at, updated_at) "
                "SELECT gen_random_uuid(), %s, 'c-' || g, '', '', '', '', '{}', now(), now() "
                "FROM generate_series(1, %s) g",
                [org.pk, N + CHUNK + 10],
            )
            insert_members(cursor, org, audience, 0, N)
            cursor.execute(f"ANALYZE {MEMBERS}")
            cursor.execute(f"ANALYZE {PROFILES}")
        print(f"audience of {Audience.objects.get(pk=audience.pk).member_count:,} members")

        recount = (
            recount_sql(
                child=MEMBERS, fk="audience_id", parent="audiences_audience", column="member_count"
            ).replace("audiences_audience SET", "audiences_audience SET", 1)
            + " WHERE id = %s"
        )

        def small_with_trigger(cursor):
            insert_members(cursor, org, audience, N, 10)

        def small_bare(cursor):
            cursor.execute(f"ALTER TABLE {MEMBERS} DISABLE TRIGGER USER")
            insert_members(cursor, org, audience, N, 10)

        def small_recount(cursor):
            cursor.execute(f"ALTER TABLE {MEMBERS} DISABLE TRIGGER USER")
            insert_members(cursor, org, audience, N, 10)
            cursor.execute(recount, [audience.pk])

        def bulk_with_trigger(cursor):
            insert_members(cursor, org, audience, N + 10, CHUNK)

        def bulk_bare(cursor):
            insert_members(cursor, org, audience, N + 10, CHUNK)

        # ALTER TABLE is inside the timed part for the bare/recount runs: time it alone too
        alter = rounds(lambda c: c.execute(f"ALTER TABLE {MEMBERS} DISABLE TRIGGER USER"))
        trig = rounds(small_with_trigger)
        bare = rounds(small_bare) - alter
        old = rounds(small_recount) - alter
        print(f"  add 10 members: bare insert {bare * 1000:7.2f} ms")
        print(
            f"  add 10 members: trigger     {trig * 1000:7.2f} ms  ratio {trig / bare:5.2f} "
            "(target <= 1.5)"
        )
        print(f"  add 10 members: recount     {old * 1000:7.2f} ms  ratio {old / bare:5.2f}")

        with_trigger = rounds(bulk_with_trigger)

        def bulk_without(cursor):
            cursor.execute(f"ALTER TABLE {MEMBERS} DISABLE TRIGGER USER")
            bulk_bare(cursor)

        without = rounds(bulk_without) - alter
        print(f"  insert {CHUNK:,}: no trigger {without * 1000:8.1f} ms")
        print(
            f"  insert {CHUNK:,}: trigger    {with_trigger * 1000:8.1f} ms  "
            f"ratio {with_trigger / without:5.2f} (target <= 1.10)"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {MEMBERS} WHERE audience_id = %s", [audience.pk])
            cursor.execute(f"DELETE FROM {PROFILES} WHERE organization_id = %s", [org.pk])
        Audience.objects.filter(pk=audience.pk).delete()
        Organization.objects.filter(pk=org.pk).delete()


if __name__ == "__main__":
    main()
