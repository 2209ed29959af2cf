"""Voucherify's tier structures (seed 003) at /compat/voucherify/v2/, sent as the seed prints
them, with X-App-Id/X-App-Token or Bearer, answering in its shapes and errors."""

import pytest

from loyalty.models import TierStructure
from tests.factories import ApiKeyFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db
URL = "/compat/voucherify/v2/loyalties/tier-structures"


@pytest.fixture
def program(organization):
    return LoyaltyProgramFactory(organization=organization, name="Club")


@pytest.fixture
def headers(organization):
    key = ApiKeyFactory(organization=organization, scopes=["read", "write"])
    return {"HTTP_X_APP_ID": organization.slug, "HTTP_X_APP_TOKEN": key.secret}


def seed_body(program, **changes):
    body = {
        "name": "Coffee tiers",
        "type": "POINT_EARNED",
        "card_definition_id": str(program.pk),
        "point_earned": {"period": {"value": 2, "unit": "HOUR"}, "type": "IMMEDIATELY"},
        "expiration": {
            "type": "SLIDING",
            "rolling_expiration": {"period": {"value": 2, "unit": "DAY"}},
            "calendar_expiration": {"calendar_dates": [{"day": 16, "month": 6}]},
            "sliding_expiration": {
                "period": {"value": 2, "unit": "DAY"},
                "earning_activity": True,
                "spending_activity": True,
                "custom_activity": True,
                "custom_activity_types": ["review"],
            },
        },
        "downgrade": {
            "type": "MULTI_LEVEL",
            "grace_period": {"value": 2, "unit": "DAY", "round_up": True},
        },
        "metadata": {"team": "crm"},
        "status": "DRAFT",
    }
    body.update(changes)
    return body


def test_create_get_list_update_and_delete_as_the_seed_prints_them(client, program, headers):
    created = client.post(URL, seed_body(program), content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["object"] == "tier_structure" and body["status"] == "DRAFT"
    assert body["card_definition_id"] == str(program.pk)
    assert body["expiration"]["sliding_expiration"]["custom_activity_types"] == ["review"]
    assert body["downgrade"]["grace_period"] == {"value": 2, "unit": "DAY", "round_up": True}
    assert body["metadata"] == {"team": "crm"}
    url = f"{URL}/{body['id']}"
    assert client.get(url, **headers).json()["name"] == "Coffee tiers"
    listed = client.get(URL, **headers).json()
    assert [s["id"] for s in listed["data"]] == [body["id"]]

    renamed = client.put(url, {"name": "Bean tiers"}, content_type="application/json", **headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Bean tiers"
    ladder = {"tiers": [{"name": "Gold", "order": 1, "min_points": 0}], "status": "ACTIVE"}
    active = client.put(url, ladder, content_type="application/json", **headers)
    assert active.status_code == 200, active.content
    assert active.json()["status"] == "ACTIVE" and active.json()["tiers"][0]["name"] == "Gold"
    assert client.delete(url, **headers).status_code == 409  # an active one: deactivate first
    inactive = client.put(url, {"status": "INACTIVE"}, content_type="application/json", **headers)
    assert inactive.json()["status"] == "INACTIVE"
    assert client.delete(url, **headers).status_code == 204
    assert TierStructure.objects.get(pk=body["id"]).status == "DELETED"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"card_definition_id": "00000000-0000-0000-0000-000000000000"}, "card_definition_id"),
        ({"point_earned": None}, "point_earned"),
        ({"type": "POINT_BALANCE"}, "point_earned"),
    ],
)
def test_the_seeds_rules_answer_400_in_voucherifys_shape(client, program, headers, changes, key):
    response = client.post(
        URL, seed_body(program, **changes), content_type="application/json", **headers
    )
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == 400 and error["key"].startswith(key) and error["details"]
    assert not TierStructure.objects.exists()


def test_auth_and_tenancy(client, organization, other_organization, program, headers):
    wrong = {"HTTP_X_APP_ID": "someone-else", "HTTP_X_APP_TOKEN": headers["HTTP_X_APP_TOKEN"]}
    assert client.get(URL, **wrong).status_code == 401
    created = client.post(URL, seed_body(program), content_type="application/json", **headers)
    theirs = ApiKeyFactory(organization=other_organization)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {theirs.secret}"}
    assert client.get(f"{URL}/{created.json()['id']}", **bearer).status_code == 404
    assert client.get(URL, **bearer).json()["data"] == []
