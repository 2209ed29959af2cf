"""Concurrent requests on PostgreSQL: retries of one Idempotency-Key run the work once, and
overlapping bulk upserts neither fail nor duplicate profiles."""

import threading

import pytest
from django.db import connection

from customers.models import CustomerProfile
from organizations.models import IdempotencyKey
from tests.conftest import client_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 4


def run_concurrently(send):
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(send())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_concurrent_retries_of_one_idempotency_key_run_once(api_key):
    def send():
        response = client_for(api_key).put(
            "/api/v1/customer-profiles/conc-1",
            {"first_name": "Ada"},
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        return response.status_code, response.json(), response.get("Idempotent-Replayed")

    results = run_concurrently(send)
    assert [status for status, _, _ in results] == [201] * THREADS
    assert len({body["id"] for _, body, _ in results}) == 1
    assert sum(replayed == "true" for _, _, replayed in results) == THREADS - 1
    assert IdempotencyKey.objects.count() == 1
    assert CustomerProfile.objects.filter(integration_id="conc-1").count() == 1


def test_overlapping_bulk_upserts_do_not_fail_or_duplicate(api_key, organization):
    items = [{"integration_id": f"o-{i:03d}"} for i in range(200)]
    bodies = iter([{"customer_profiles": items if n % 2 else items[::-1]} for n in range(THREADS)])
    lock = threading.Lock()

    def send():
        with lock:
            body = next(bodies)  # half the batches in reverse order
        return client_for(api_key).put("/api/v1/customer-profiles", body).status_code

    assert run_concurrently(send) == [200] * THREADS
    assert CustomerProfile.objects.filter(organization=organization).count() == 200
