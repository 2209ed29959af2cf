"""Closing a customer session (20 cart items, 10 active earning rules) through the API, as a
ratio of one `add-points` call through the API, both measured in this run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/sessions.py
    .venv/bin/python bench/sessions.py                                     # SQLite

Target: a close within 2x of an add-points call. Rules are compiled once per rule version and
cached (with the SQL that answers their profile conditions, in one query), a new session is
written by one INSERT … ON CONFLICT, and the cart, ledger rows and effects go in by COPY on
PostgreSQL; a close does not parse rules per request and its statement count (COPYs counted)
does not grow with the cart (tests/campaigns assert the count).
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
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from campaigns import services as campaign_services  # noqa: E402
from campaigns.models import CustomerSession  # noqa: E402
from config.startup import settle_process  # noqa: E402
from customers.models import CustomerProfile  # noqa: E402
from loyalty import services as loyalty_services  # noqa: E402
from organizations.models import Organization  # noqa: E402
from organizations.services import create_api_key  # noqa: E402

ROUNDS = 30
ITEMS = 20
RULES = 10


def timed(fn) -> float:
    start = time.perf_counter()
    response = fn()
    elapsed = time.perf_counter() - start
    assert response.status_code in (200, 201), response.content[:300]
    return elapsed


def main() -> None:
    call_command("migrate", verbosity=0)
    setup_test_environment()
    settle_process()
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        _, secret = create_api_key(organization=org, name="bench", scopes="read,write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        program = loyalty_services.create_loyalty_program(organization=org, data={"name": "B"})
        CustomerProfile.objects.create(
            organization=org, integration_id="bench", attributes={"city": "Leeds", "visits": 9}
        )
        conditions = [
            [],
            [{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}],
            [{"field": "attributes.visits", "operator": "gte", "values": [5]}],
            [{"field": "session.total", "operator": "gte", "values": [10]}],
            [{"field": "session.skus", "operator": "in", "values": ["sku-3"]}],
        ]
        for n in range(RULES):
            campaign_services.create_earning_rule(
                program=program,
                data={
                    "name": f"rule {n}",
                    "trigger": "session_closed",
                    "priority": n,
                    "conditions": conditions[n % len(conditions)],
                    "effects": [
                        {"type": "points_per_amount", "points": 1, "per": "1.00"}
                        if n % 2
                        else {"type": "add_points", "points": 5}
                    ],
                },
            )
        cart = [
            {"sku": f"sku-{i}", "quantity": 1 + i % 3, "price": "2.50", "category": "coffee"}
            for i in range(ITEMS)
        ]
        add_url = f"/api/v1/loyalty-programs/{program.pk}/profiles/bench/add-points"
        print(f"database: {connection.vendor}, {ITEMS} items, {RULES} active rules")

        def close(n):
            return client.put(
                f"/api/v1/customer-sessions/bench-{n}",
                {"profile": "bench", "state": "closed", "cart_items": cart},
                format="json",
            )

        for n in range(3):  # warm-up: caches, connection, first-use paths
            close(f"warm-{n}")
            client.post(add_url, {"amount": 1}, format="json")
        closes, adds = [], []
        for n in range(ROUNDS):  # interleaved, so drift hits both alike
            closes.append(timed(lambda n=n: close(n)))
            adds.append(timed(lambda: client.post(add_url, {"amount": 10}, format="json")))
        with CaptureQueriesContext(connection) as queries:
            close("counted")
        c, a = statistics.median(closes), statistics.median(adds)
        print(f"  add-points (API)       {a * 1000:7.2f} ms")
        print(
            f"  close a session (API)  {c * 1000:7.2f} ms   ratio {c / a:.2f} (target <= 2); "
            f"{len(queries.captured_queries)} queries"
        )
    finally:
        CustomerSession.objects.filter(organization=org).delete()
        Organization.objects.filter(pk=org.pk).delete()


if __name__ == "__main__":
    main()
