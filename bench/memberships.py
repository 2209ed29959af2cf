"""Loyalty memberships: batch add through the API vs a bare bulk_create, and list latency of
the first page vs a page deep in ~N memberships (cursor pagination), in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/memberships.py
    BENCH_MEMBERSHIPS=100000 .venv/bin/python bench/memberships.py       # SQLite

Targets: batch add of 1,000 through the API within 1.5x of bulk_create; the deep page within
2x of the first page.

After setup the process is settled as a served one is (`config.startup.settle_process`, called
by config/wsgi.py and config/asgi.py): without it, a full garbage collection of the ~150,000
objects Django loads lands in a random round and adds 25-40 ms to it.
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from base64 import b64encode
from urllib.parse import urlencode

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from config.startup import settle_process  # noqa: E402
from customers.models import CustomerProfile  # noqa: E402
from loyalty import services as loyalty_services  # noqa: E402
from memberships.models import LoyaltyMembership, MembersGroup  # noqa: E402
from organizations.models import Organization  # noqa: E402
from organizations.services import create_api_key  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
N = int(os.environ.get("BENCH_MEMBERSHIPS", 1_000_000 if POSTGRES else 100_000))
ROUNDS = 5


def db(value):
    return Organization._meta.pk.get_db_prep_value(value, connection)


def generate(org, program) -> None:
    """N profiles, each with a membership in `program`, in two statements."""
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute(
                "INSERT INTO customers_customerprofile (id, organization_id, integration_id, "
                "email, msisdn, first_name, last_name, attributes, created_at, updated_at) "
                "SELECT gen_random_uuid(), %s, 'm-' || g, '', '', '', '', '{}', now(), now() "
                "FROM generate_series(1, %s) g",
                [org.pk, N],
            )
            cursor.execute(
                "INSERT INTO memberships_loyaltymembership (organization_id, id, program_id, "
                "profile_id, code, is_primary, url, state, created_at, updated_at) "
                "SELECT %s, gen_random_uuid(), %s, id, '', false, '', 'enrolled', "
                "now() - (row_number() OVER () * interval '1 millisecond'), now() "
                "FROM customers_customerprofile WHERE organization_id = %s",
                [org.pk, program.pk, org.pk],
            )
            cursor.execute("ANALYZE memberships_loyaltymembership")
        else:
            cursor.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO customers_customerprofile (id, organization_id, integration_id, "
                "email, msisdn, first_name, last_name, attributes, created_at, updated_at) "
                "SELECT lower(hex(randomblob(16))), %s, 'm-' || n, '', '', '', '', '{}', "
                "datetime('now'), datetime('now') FROM g",
                [N, db(org.pk)],
            )
            cursor.execute(
                "INSERT INTO memberships_loyaltymembership (organization_id, id, program_id, "
                "profile_id, code, is_primary, url, state, created_at, updated_at) "
                "SELECT %s, lower(hex(randomblob(16))), %s, id, '', 0, '', 'enrolled', "
                "datetime('now', '-' || rowid || ' seconds'), datetime('now') "
                "FROM customers_customerprofile WHERE organization_id = %s",
                [db(org.pk), db(program.pk), db(org.pk)],
            )


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    call_command("migrate", verbosity=0)
    setup_test_environment()  # lets the test client talk to the app with ALLOWED_HOSTS
    settle_process()
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        _, secret = create_api_key(organization=org, name="bench", scopes="read,write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        print(f"database: {connection.vendor}, memberships for the list: {N:,}")

        # batch add of 1,000: API vs bulk_create, fresh profiles each round. "enrolled" also
        # puts every customer in the system "All members" group (a second 1,000-row insert);
        # "new" does not, so it measures the membership write alone.
        for state in ("new", "enrolled"):
            api_times, bare_times = [], []
            for r in range(ROUNDS):
                program = loyalty_services.create_loyalty_program(
                    organization=org, data={"name": f"{state}{r}"}
                )
                profiles = CustomerProfile.objects.bulk_create(
                    CustomerProfile(organization=org, integration_id=f"{state}{r}-{i}")
                    for i in range(2000)
                )
                items = [
                    {"program": str(program.pk), "profile": p.integration_id, "state": state}
                    for p in profiles[:1000]
                ]
                api_times.append(
                    timed(
                        lambda items=items: client.post(
                            "/api/v1/loyalty-memberships/batch-add",
                            {"memberships": items},
                            format="json",
                        )
                    )
                )
                rows = [
                    LoyaltyMembership(organization=org, program=program, profile=p, state=state)
                    for p in profiles[1000:]
                ]
                bare_times.append(
                    timed(lambda rows=rows: LoyaltyMembership.objects.bulk_create(rows))
                )
            api, bare = statistics.median(api_times), statistics.median(bare_times)
            print(
                f"  batch add 1,000 ({state:>8}) via API {api * 1000:7.1f} ms, bare bulk_create "
                f"{bare * 1000:6.1f} ms, ratio {api / bare:.2f} (target <= 1.5)"
            )

        # list latency: first page vs a deep page
        program = loyalty_services.create_loyalty_program(organization=org, data={"name": "deep"})
        start = time.perf_counter()
        generate(org, program)
        print(f"  generated {N:,} memberships in {time.perf_counter() - start:.1f} s")
        url = f"/api/v1/loyalty-memberships?program={program.pk}&limit=100"
        first = [timed(lambda: client.get(url)) for _ in range(ROUNDS)]
        # walk to a deep cursor: the page that starts ~N-100 rows in
        deep_row = (
            LoyaltyMembership.objects.filter(program=program)
            .order_by("-created_at", "-id")
            .values_list("created_at", "id")[N - 200]
        )
        # DRF's cursor is base64 of "p=<position>" (the ordering's first field)
        position = deep_row[0].isoformat()
        token = b64encode(urlencode({"p": position}, doseq=True).encode()).decode()
        deep_url = f"{url}&cursor={token}"
        response = client.get(deep_url)
        assert response.status_code == 200 and len(response.json()["results"]) == 100, (
            response.content[:300]
        )
        deep = [timed(lambda: client.get(deep_url)) for _ in range(ROUNDS)]
        f, d = statistics.median(first), statistics.median(deep)
        print(f"  list, first page             {f * 1000:8.1f} ms")
        print(
            f"  list, page ~{N - 200:,} rows deep {d * 1000:8.1f} ms   "
            f"ratio {d / f:.2f} (target <= 2)"
        )
    finally:
        LoyaltyMembership.objects.filter(organization=org).delete()
        MembersGroup.objects.filter(organization=org).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM customers_customerprofile WHERE organization_id = %s", [db(org.pk)]
            )
        Organization.objects.filter(pk=org.pk).delete()


if __name__ == "__main__":
    main()
