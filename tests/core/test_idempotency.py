from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import CustomerProfile
from organizations.models import IdempotencyKey
from organizations.tasks import purge_idempotency_keys

URL = "/api/v1/customer-profiles"


@pytest.mark.django_db
class TestIdempotencyKey:
    def test_retry_with_same_key_and_body_returns_first_response(self, api):
        headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
        first = api.put(f"{URL}/i-1", {"first_name": "Ada"}, **headers)
        assert first.status_code == 201
        # the profile changes in between: a replay must not re-run the update
        api.patch(f"{URL}/i-1", {"first_name": "Changed"})
        retry = api.put(f"{URL}/i-1", {"first_name": "Ada"}, **headers)
        assert retry.status_code == 201
        assert retry["Idempotent-Replayed"] == "true"
        assert retry.json() == first.json()
        assert CustomerProfile.objects.get(integration_id="i-1").first_name == "Changed"

    def test_same_key_with_different_body_is_409(self, api):
        headers = {"HTTP_IDEMPOTENCY_KEY": "k-2"}
        assert api.put(f"{URL}/i-2", {"first_name": "Ada"}, **headers).status_code == 201
        response = api.put(f"{URL}/i-2", {"first_name": "Bob"}, **headers)
        assert response.status_code == 409
        assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
        assert CustomerProfile.objects.get(integration_id="i-2").first_name == "Ada"

    def test_bulk_upsert_is_idempotent(self, api):
        body = {"customer_profiles": [{"integration_id": "b-1"}, {"integration_id": "b-2"}]}
        first = api.put(URL, body, HTTP_IDEMPOTENCY_KEY="bulk-1")
        retry = api.put(URL, body, HTTP_IDEMPOTENCY_KEY="bulk-1")
        assert first.json() == retry.json()
        assert first.json()["created"] == 2

    def test_failed_request_can_be_retried_with_the_same_key(self, api):
        headers = {"HTTP_IDEMPOTENCY_KEY": "k-3"}
        assert api.put(f"{URL}/i-3", {"email": "bad"}, **headers).status_code == 400
        assert not IdempotencyKey.objects.exists()
        assert api.put(f"{URL}/i-3", {"email": "ok@example.com"}, **headers).status_code == 201

    def test_keys_are_per_organization(self, api, other_api):
        assert (
            api.put(f"{URL}/i-4", {"first_name": "A"}, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
        )
        response = other_api.put(f"{URL}/i-4", {"first_name": "B"}, HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response

    def test_expired_keys_start_afresh_and_are_purged(self, api, settings):
        headers = {"HTTP_IDEMPOTENCY_KEY": "old"}
        assert api.put(f"{URL}/t-1", {"first_name": "A"}, **headers).status_code == 201
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        response = api.put(f"{URL}/t-1", {"first_name": "B"}, **headers)
        assert response.status_code == 200  # ran again (an update now), no 409
        assert "Idempotent-Replayed" not in response
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        assert purge_idempotency_keys.delay().get() == 1
        assert not IdempotencyKey.objects.exists()

    def test_trailing_slash_does_not_change_the_request(self, api):
        headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
        first = api.put(f"{URL}/s-1", {"first_name": "A"}, **headers)
        retry = api.put(f"{URL}/s-1/", {"first_name": "A"}, **headers)
        assert retry.status_code == first.status_code == 201
        assert retry["Idempotent-Replayed"] == "true"

    def test_over_long_key_is_400(self, api):
        response = api.put(f"{URL}/i-5", {}, HTTP_IDEMPOTENCY_KEY="x" * 256)
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "Idempotency-Key"
