"""Fanfare's `POST /api/audiences/loyalty-tiers` (seed 000) at /compat/fanfare/, sent as the
seed prints it: no program is named, whatever programs the organization has."""

import pytest

from audiences.models import Audience, AudienceGroup
from loyalty import services as loyalty_services
from tests.conftest import client_for
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db
URL = "/compat/fanfare/api/audiences/loyalty-tiers"
SEED_BODY = {
    "groupName": "Coffee tiers",
    "tiers": [
        {"name": "Bronze", "order": 1, "startValue": 0, "endValue": 199, "iconName": "cup"},
        {"name": "Silver", "order": 2, "startValue": 200, "endValue": 599, "iconName": "mug"},
        {"name": "Gold", "order": 3, "startValue": 600, "iconName": "crown"},
    ],
}
AUDIENCE_FIELDS = {
    "archived", "createdAt", "createdBy", "id", "imports", "name", "organizationId", "rules",
    "description", "groupId", "groupName", "iconName", "lastRefreshedAt", "metadata",
    "primaryExternalId", "primaryLastSyncedAt", "primarySourceVendor", "primarySyncSource",
    "primarySyncSourceId", "refreshIntervalSeconds", "updatedAt", "updatedBy",
}  # fmt: skip


def test_the_seeds_request_gets_the_seeds_answer(organization):
    for name in ("One", "Two"):  # several programs: none is guessed
        loyalty_services.create_loyalty_program(organization=organization, data={"name": name})
    api = client_for(ApiKeyFactory(organization=organization, name="till integration"))
    response = api.post(URL, SEED_BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tierGroup"] == "Coffee tiers"
    assert [a["name"] for a in body["audiences"]] == ["Bronze", "Silver", "Gold"]
    for audience in body["audiences"]:
        assert set(audience) == AUDIENCE_FIELDS
        assert audience["createdBy"] == audience["updatedBy"] == "till integration"
        assert audience["groupName"] == "Coffee tiers" and audience["rules"] == []
        assert audience["organizationId"] == str(organization.pk)
    assert body["audiences"][2]["iconName"] == "crown"
    stored = Audience.objects.get(name="Gold")
    assert (stored.start_value, stored.end_value, stored.program) == (600, None, None)


def test_overlapping_tiers_are_a_400_naming_both_and_nothing_is_created(api):
    body = {
        "groupName": "G",
        "tiers": [
            {"name": "Bronze", "order": 1, "startValue": 0, "endValue": 100},
            {"name": "Silver", "order": 2, "startValue": 100},
        ],
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    detail = response.json()["errors"][0]["detail"]
    assert "Silver" in detail and "Bronze" in detail
    assert not Audience.objects.exists() and not AudienceGroup.objects.exists()


def test_keys_and_tenancy(api, other_api, organization, client):
    assert client.post(URL, SEED_BODY, content_type="application/json").status_code == 401
    assert other_api.post(URL, SEED_BODY, format="json").status_code == 201
    assert not Audience.objects.filter(organization=organization).exists()  # theirs only
    assert api.post("/compat/fanfare/api/nothing", {}, format="json").status_code == 404
