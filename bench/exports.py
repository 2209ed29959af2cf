"""CSV exports at 100k rows: time against fetching the same rows bare, and peak memory against
an export a tenth the size (a streamed export should not grow with the file).

    .venv/bin/python bench/exports.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/exports.py

- (a) bare fetch: the export's rows read from the database, 2,000 at a time, no CSV;
- (b) the download: `GET /api/v1/audiences/{id}/members.csv` through Django (auth, tenancy,
  CSV writing, escaping), read to the end;
- peak memory: Python's peak allocation (tracemalloc) while downloading 10k and 100k rows.
Targets: (b)/(a) ≤ 3; peak at 100k within 1.5x the peak at 10k (constant memory).
Set BENCH_EXPORT_ROWS to change the size (default 100,000).
"""

import os
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from audiences.exports import MEMBER_COLUMNS  # noqa: E402
from audiences.models import Audience, AudienceMembership  # noqa: E402
from core.csv_export import CHUNK_ROWS  # noqa: E402
from customers.models import CustomerProfile  # noqa: E402
from organizations.models import Organization  # noqa: E402
from organizations.services import create_api_key  # noqa: E402

N = int(os.environ.get("BENCH_EXPORT_ROWS", 100_000))
ROUNDS = 3


def build(org, size: int) -> Audience:
    audience = Audience.objects.create(organization=org, name=f"export {size}")
    profiles = CustomerProfile.objects.filter(organization=org).order_by("id")[:size]
    AudienceMembership.objects.bulk_create(
        (
            AudienceMembership(organization=org, audience=audience, profile_id=pk, source="api")
            for pk in profiles.values_list("pk", flat=True).iterator()
        ),
        batch_size=5000,
    )
    return audience


def bare_fetch(audience) -> int:
    rows = (
        AudienceMembership.objects.filter(audience=audience)
        .order_by("audience_id", "added_at", "id")
        .values_list(*MEMBER_COLUMNS.values())
        .iterator(chunk_size=CHUNK_ROWS)
    )
    return sum(1 for _ in rows)


def download(client, audience) -> int:
    response = client.get(f"/api/v1/audiences/{audience.pk}/members.csv")
    assert response.status_code == 200, response.status_code
    return sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1


def timed(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        CustomerProfile.objects.bulk_create(
            (
                CustomerProfile(
                    organization=org,
                    integration_id=f"c-{i}",
                    email=f"c{i}@example.com",
                    first_name="=Ada" if i % 10 == 0 else "Ada",
                    last_name="Lovelace",
                )
                for i in range(N)
            ),
            batch_size=5000,
        )
        small, large = build(org, N // 10), build(org, N)
        _, secret = create_api_key(organization=org, name="bench", scopes="read")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert download(client, large) == N and bare_fetch(large) == N

        fetch = timed(lambda: bare_fetch(large))
        export = timed(lambda: download(client, large))
        small_peak = peak_mb(lambda: download(client, small))
        large_peak = peak_mb(lambda: download(client, large))
        print(f"{N:,} rows on {django.db.connection.vendor}")
        print(f"(a) bare fetch      {fetch * 1000:8.0f} ms")
        ratio = export / fetch
        print(f"(b) CSV download    {export * 1000:8.0f} ms   (b)/(a) = {ratio:.2f} (goal ≤ 3)")
        print(
            f"peak memory: {N // 10:,} rows {small_peak:.1f} MB, {N:,} rows {large_peak:.1f} MB"
            f"   ratio {large_peak / small_peak:.2f} (goal ≤ 1.5: constant memory)"
        )
    finally:
        org.delete()


if __name__ == "__main__":
    main()
