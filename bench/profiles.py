"""Bulk upsert of customer profiles vs a bare bulk_create of the same rows, in one run.

    make bench                                  # SQLite (or whatever DATABASE_URL says)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/profiles.py

Prints the time of each and the ratio against the baseline. Target: the service (validation,
merge, one INSERT … ON CONFLICT) stays within 3x of the bare insert.
"""

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from customers.models import CustomerProfile  # noqa: E402
from customers.services import bulk_upsert_customer_profiles  # noqa: E402
from organizations.models import Organization  # noqa: E402

N = 1000
ROUNDS = 5


def items(prefix: str) -> list[dict]:
    return [
        {
            "integration_id": f"{prefix}-{i}",
            "email": f"user{i}@example.com",
            "msisdn": f"+4477009{i:05d}",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "attributes": {"city": "Leeds", "visits": i},
        }
        for i in range(N)
    ]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        baseline, create, update = [], [], []
        for r in range(ROUNDS):
            rows = [CustomerProfile(organization=org, **item) for item in items(f"bare{r}")]
            baseline.append(timed(lambda rows=rows: CustomerProfile.objects.bulk_create(rows)))
            batch = items(f"svc{r}")
            create.append(
                timed(lambda b=batch: bulk_upsert_customer_profiles(organization=org, items=b))
            )
            update.append(
                timed(lambda b=batch: bulk_upsert_customer_profiles(organization=org, items=b))
            )
        best = min(baseline)
        print(f"database: {django.db.connection.vendor}, {N} profiles, best of {ROUNDS}")
        print(f"  bare bulk_create          {best * 1000:8.1f} ms   1.00x")
        print(
            f"  bulk upsert (all new)     {min(create) * 1000:8.1f} ms   {min(create) / best:.2f}x"
        )
        print(
            f"  bulk upsert (all exist)   {min(update) * 1000:8.1f} ms   {min(update) / best:.2f}x"
        )
    finally:
        CustomerProfile.objects.filter(organization=org).delete()
        org.delete()


if __name__ == "__main__":
    main()
