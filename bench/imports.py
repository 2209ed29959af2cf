"""CSV import speed: a bare COPY vs our import vs django-import-export, in one run.

    make bench                                   # installs django-import-export (group "bench")
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/imports.py
    BENCH_ROWS=100000 BENCH_IE_ROWS=2000 .venv/bin/python bench/imports.py     # SQLite

Generates a CSV of N rows (default 1,000,000 on PostgreSQL, 100,000 on SQLite): integration_id,
email, msisdn, first_name, last_name and 3 attribute columns, 1% bad rows. Then times
(a) a bare COPY of the file into an unindexed table (SQLite: executemany into one),
(f) the floor: the SQL statements of our import alone, once over the whole file, no Python
    (PostgreSQL only; see `sql_floor`),
(b) our import end to end (`audiences.imports.run_import`: check pass, chunks, profile
    upserts, memberships, progress),
(c) django-import-export importing rows of the same file into the same models (profiles and
    memberships), on BENCH_IE_ROWS rows (default 5,000) because it is slow; scaled to rows/s.
Prints rows/s and the ratios (targets: b/a <= 3 and c/b >= 20 in time per row), and the peak
memory (max RSS of a fresh process running only (b)) at 100k and at N rows: it should not
grow with N.
"""

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audiences import imports  # noqa: E402
from audiences import services as audience_services  # noqa: E402
from audiences.models import (  # noqa: E402
    AudienceImport,
    AudienceImportSeen,
    AudienceMembership,
)
from customers.models import CustomerProfile  # noqa: E402
from organizations.models import Organization  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
N = int(os.environ.get("BENCH_ROWS", 1_000_000 if POSTGRES else 100_000))
IE_ROWS = int(os.environ.get("BENCH_IE_ROWS", 5_000))
HEADER = [
    "integration_id", "email", "msisdn", "first_name", "last_name", "city", "drink", "visits",
]  # fmt: skip


def write_csv(path: Path, rows: int, prefix: str = "r") -> None:
    rng = random.Random(7)
    cities, drinks = ["Leeds", "York", "Hull", "Bath"], ["tea", "latte", "mocha"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            email = f"{prefix}{i}@example.com" if i % 100 else "not-an-email"  # 1% bad
            writer.writerow(
                [f"{prefix}-{i}", email, f"+4477{i:09d}"[:16], "Ann", "Lee",
                 rng.choice(cities), rng.choice(drinks), rng.randint(0, 99)]
            )  # fmt: skip


def new_import(org, path: Path) -> AudienceImport:
    audience = audience_services.create_audience(organization=org, data={"name": "bench"})
    imp = AudienceImport(organization=org, audience=audience, original_name=path.name)
    with path.open("rb") as handle:
        imp.file.save(f"{imp.pk}.csv", ContentFile(handle.read()), save=False)
    imp.save()
    return imp


def bare_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_copy")
        cursor.execute(
            "CREATE TABLE bench_bare_copy (integration_id text, email text, msisdn text, "
            "first_name text, last_name text, city text, drink text, visits text)"
        )
        start = time.perf_counter()
        if POSTGRES:
            with (
                cursor.cursor.copy(
                    "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                path.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
        else:
            with path.open(encoding="utf-8") as handle:
                reader = csv.reader(handle)
                next(reader)
                cursor.executemany(
                    "INSERT INTO bench_bare_copy VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", reader
                )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_bare_copy")
    return elapsed


def ours(org, path: Path) -> tuple[float, AudienceImport]:
    imp = new_import(org, path)
    start = time.perf_counter()
    imp = imports.run_import(import_id=imp.pk)
    return time.perf_counter() - start, imp


def sql_floor(path: Path) -> float:
    """(f): what the database alone needs for our import's statements, with no Python between
    the file and the tables: COPY the whole file into a scratch table, then per chunk of
    `imports.CHUNK_SIZE` rows, one transaction each as in the import: keep the rows with an
    integration_id and an email with an @, build the attributes in SQL, and run the very
    statements of an import chunk (`imports.merge_import_chunk`: profile upsert, audience
    membership insert). No import, whatever its Python, can take less. (One transaction for
    all rows would be slower, not faster: at a million rows its COMMIT, which runs the
    deferred foreign-key checks, took over five minutes.) Runs in its own organization, which
    is then deleted and vacuumed, so (b) starts from the same tables."""
    org = Organization.objects.create(name="floor", slug=f"floor-{uuid.uuid4().hex[:8]}")
    try:
        imp = new_import(org, path)
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_raw (integration_id text, email text, msisdn text, "
                "first_name text, last_name text, city text, drink text, visits text, "
                "n bigserial PRIMARY KEY)"
            )
            with (
                cursor.cursor.copy(
                    "COPY bench_raw (integration_id, email, msisdn, first_name, last_name, "
                    "city, drink, visits) FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                path.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            for first in range(1, N + 1, imports.CHUNK_SIZE):
                with transaction.atomic():
                    imports.prepare_import_chunk(cursor)
                    cursor.execute(
                        "INSERT INTO import_chunk SELECT integration_id, email, msisdn, "
                        "first_name, last_name, jsonb_build_object('city', city, 'drink', "
                        "drink, 'visits', visits) FROM bench_raw WHERE n >= %s AND n < %s "
                        "AND integration_id <> '' AND email LIKE '%%@%%'",
                        [first, first + imports.CHUNK_SIZE],
                    )
                    imports.merge_import_chunk(cursor, imp, timezone.now())
            elapsed = time.perf_counter() - start
            cursor.execute("DROP TABLE bench_raw")
        return elapsed
    finally:
        _cleanup(org)
        with connection.cursor() as cursor:
            for model in (AudienceMembership, CustomerProfile):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def import_export(org, path: Path) -> float:
    import tablib
    from import_export import resources

    audience = audience_services.create_audience(organization=org, data={"name": "ie"})

    class ProfileResource(resources.ModelResource):
        class Meta:
            model = CustomerProfile
            import_id_fields = ("integration_id",)
            fields = ("integration_id", "email", "msisdn", "first_name", "last_name", "attributes")

        def before_import_row(self, row, **kwargs):
            row["attributes"] = json.dumps(
                {"city": row["city"], "drink": row["drink"], "visits": row["visits"]}
            )

        def get_queryset(self):
            return CustomerProfile.objects.filter(organization=org)

        def before_save_instance(self, instance, row, **kwargs):
            instance.organization = org

        def after_save_instance(self, instance, row, **kwargs):
            AudienceMembership.objects.get_or_create(
                audience=audience,
                profile=instance,
                defaults={"organization": org, "source": "import"},
            )

    with path.open(encoding="utf-8") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    start = time.perf_counter()
    ProfileResource().import_data(dataset, dry_run=False, raise_errors=False)
    return time.perf_counter() - start


def peak_rss_kb(rows: int) -> int:
    """Max RSS of a fresh process that runs only (b) on `rows` rows."""
    out = subprocess.run(  # noqa: S603 - this very script, with a number
        [sys.executable, __file__, "--rss", str(rows)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return int(out.strip().splitlines()[-1])


def rss_child(rows: int) -> None:
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rows.csv"
            write_csv(path, rows, prefix="m")
            ours(org, path)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(peak)  # KB on Linux: the whole process, Django included
    finally:
        _cleanup(org)


def _cleanup(org) -> None:
    """Raw deletes: the ORM's cascade would load a million rows first."""
    org_id = Organization._meta.pk.get_db_prep_value(org.pk, connection)
    with connection.cursor() as cursor:
        for table in (AudienceMembership._meta.db_table, CustomerProfile._meta.db_table):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [org_id])
    Organization.objects.filter(pk=org.pk).delete()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        rss_child(int(sys.argv[2]))  # the parent has migrated; keep this process lean
        return
    call_command("migrate", verbosity=0)
    if POSTGRES:  # dead rows of an earlier, interrupted run would slow every check down
        with connection.cursor() as cursor:
            for model in (AudienceMembership, CustomerProfile, AudienceImportSeen):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path, small = Path(tmp) / "rows.csv", Path(tmp) / "small.csv"
            write_csv(path, N)
            write_csv(small, IE_ROWS, prefix="ie")
            print(f"database: {connection.vendor}, rows: {N:,} ({path.stat().st_size >> 20} MB)")
            a = bare_copy(path)
            f = sql_floor(path) if POSTGRES else None
            b, imp = ours(org, path)
            assert imp.status == "completed", imp.error_message
            assert imp.error_count == N // 100, imp.error_count
            try:
                c_small = import_export(org, small)
            except ImportError:
                c_small = None
        print(f"  (a) bare COPY              {N / a:12,.0f} rows/s   {a:7.2f} s")
        if f is not None:
            print(
                f"  (f) floor: same SQL alone  {N / f:12,.0f} rows/s   {f:7.2f} s   "
                f"f/a = {f / a:.2f}   (no import can beat this)"
            )
        print(
            f"  (b) our import             {N / b:12,.0f} rows/s   {b:7.2f} s   b/a = {b / a:.2f}"
            + (f"   b/f = {b / f:.2f}" if f is not None else "")
        )
        if c_small is None:
            print("  (c) django-import-export: not installed (make bench installs it)")
        else:
            per_row_c, per_row_b = c_small / IE_ROWS, b / N
            print(
                f"  (c) django-import-export   {IE_ROWS / c_small:12,.0f} rows/s   "
                f"({IE_ROWS:,} rows in {c_small:.2f} s)   c/b = {per_row_c / per_row_b:.0f}"
            )
        print("  peak memory of (b): max RSS of a fresh process that runs only (b):")
        for rows in sorted({100_000, N}):
            print(f"    {rows:>9,} rows: {peak_rss_kb(rows) / 1024:7.1f} MB")
        print("  targets: b/a <= 3, c/b >= 20, memory flat in N")
    finally:
        _cleanup(org)


if __name__ == "__main__":
    main()
