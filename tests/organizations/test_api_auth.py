import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from organizations.services import revoke_api_key
from tests.conftest import client_for
from tests.factories import (
    ApiKeyFactory,
    CustomerProfileFactory,
    OrganizationMemberFactory,
    UserFactory,
)

URL = "/api/v1/customer-profiles"


def first_error(response) -> dict:
    return response.json()["errors"][0]


@pytest.mark.django_db
class TestApiKeyAuth:
    def test_missing_key_is_401_with_json_error(self, client):
        response = client.get(URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert first_error(response)["code"] == "not_authenticated"

    def test_unknown_key_is_401(self, client, api_key):
        response = client.get(URL, HTTP_AUTHORIZATION="Bearer lbo_not-a-real-key")
        assert response.status_code == 401
        assert first_error(response)["code"] == "unknown_api_key"

    def test_malformed_header_is_401(self, client, api_key):
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {api_key.secret} extra")
        assert response.status_code == 401
        assert first_error(response)["code"] == "malformed_authorization"

    def test_revoked_key_is_401(self, api, api_key):
        assert api.get(URL).status_code == 200
        revoke_api_key(api_key=api_key)
        response = api.get(URL)
        assert response.status_code == 401
        assert first_error(response)["code"] == "revoked_api_key"

    def test_read_only_key_reads_but_cannot_write(self, read_only_api, organization):
        CustomerProfileFactory(organization=organization, integration_id="r-1")
        assert read_only_api.get(URL).status_code == 200
        for response in (
            read_only_api.put(f"{URL}/r-2", {"first_name": "X"}),
            read_only_api.patch(f"{URL}/r-1", {"first_name": "X"}),
            read_only_api.delete(f"{URL}/r-1"),
        ):
            assert response.status_code == 403
            assert "read-only" in first_error(response)["detail"]

    def test_write_only_key_may_also_read(self, organization):
        api = client_for(ApiKeyFactory(organization=organization, scopes=["write"]))
        assert api.get(URL).status_code == 200

    def test_key_records_last_use_and_only_its_hash_is_stored(self, api, api_key):
        assert api_key.last_used_at is None
        before = timezone.now()
        api.get(URL)
        api_key.refresh_from_db()
        assert api_key.last_used_at >= before
        assert api_key.secret not in (api_key.hashed_key, api_key.prefix)
        assert api_key.secret.startswith(api_key.prefix)

    def test_staff_session_works_on_the_api_for_its_organization(
        self, client, organization, other_organization, staff_user_factory
    ):
        CustomerProfileFactory(organization=organization, integration_id="mine")
        CustomerProfileFactory(organization=other_organization, integration_id="theirs")
        user = staff_user_factory(organization, role="viewer")
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200
        assert [p["integration_id"] for p in response.json()["results"]] == ["mine"]
        # a viewer may not write, and may not pick another organization
        viewer_api = APIClient()
        viewer_api.force_login(user)
        response = viewer_api.put(f"{URL}/x", {"first_name": "X"}, format="json")
        assert response.status_code == 403
        response = client.get(URL, HTTP_X_ORGANIZATION=other_organization.slug)
        assert response.status_code == 403

    def test_staff_editor_can_write_through_the_session(self, organization, staff_user_factory):
        api = APIClient()
        api.force_login(staff_user_factory(organization, role="editor"))
        response = api.put(f"{URL}/x", {"first_name": "X"}, format="json")
        assert response.status_code == 201

    def test_staff_in_several_organizations_choose_one_with_a_header(
        self, client, organization, other_organization, staff_user_factory
    ):
        CustomerProfileFactory(organization=organization, integration_id="mine")
        CustomerProfileFactory(organization=other_organization, integration_id="theirs")
        user = staff_user_factory(organization, role="viewer")
        OrganizationMemberFactory(organization=other_organization, user=user, role="viewer")
        client.force_login(user)
        for slug, expected in (("acme", "mine"), ("rival", "theirs")):
            response = client.get(URL, HTTP_X_ORGANIZATION=slug)
            assert [p["integration_id"] for p in response.json()["results"]] == [expected]

    def test_staff_without_organization_gets_403_not_everything(self, db, client):
        client.force_login(UserFactory())
        CustomerProfileFactory()
        response = client.get(URL)
        assert response.status_code == 403
        assert "No organization" in first_error(response)["detail"]
