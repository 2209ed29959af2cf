"""Customer inventory: one call, every section, a bounded number of queries."""

import pytest

from audiences import services as audience_services
from loyalty import ledger
from loyalty import services as loyalty_services
from loyalty.models import LoyaltyProgram
from memberships import services
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


# the API key and its last_used_at, the profile, then one query a section (loyalty: two)
INVENTORY_BUDGET = 8


def stock(organization, profile, count: int) -> None:
    """`count` of each section for the profile: programs (each with an active tier structure,
    points and an enrolled membership), audiences and member groups."""
    for i in range(count):
        program = loyalty_services.create_loyalty_program(
            organization=organization, data={"name": f"Club {i}", "subledgers_allowed": True}
        )
        structure = loyalty_services.create_tier_structure(
            program=program,
            data={"name": "T"},
            tiers=[{"name": "Gold", "order": 1, "min_points": 100}],
        )
        loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
        ledger.earn_points(program=program, profile=profile, amount=150)
        services.add_memberships(
            organization=organization,
            items=[{"program": program.pk, "profile": profile.integration_id, "state": "enrolled"}],
        )
        audience = audience_services.create_audience(
            organization=organization, data={"name": f"A{i}"}
        )
        audience_services.add_members(audience=audience, integration_ids=[profile.integration_id])
        group = services.create_group(organization=organization, data={"name": f"G{i}"})
        services.add_group_members(
            group=group, identifier_type="id", identifiers=[profile.integration_id]
        )


def test_inventory_returns_every_section(api, organization):
    profile = CustomerProfileFactory(organization=organization, integration_id="ann")
    stock(organization, profile, 1)
    program = LoyaltyProgram.objects.get(organization=organization)
    ledger.earn_points(program=program, profile=profile, amount=5, subledger_id="coffee")
    body = api.get("/api/v1/customer-profiles/ann/inventory").json()
    assert body["profile"]["integration_id"] == "ann"
    (loyalty,) = body["loyalty"]
    assert loyalty["balance"]["active"] == 150
    assert loyalty["subledger_balances"]["coffee"]["active"] == 5
    assert loyalty["tier"]["name"] == "Gold"
    assert [a["name"] for a in body["audiences"]] == ["A0"]
    assert sorted(g["name"] for g in body["groups"]) == ["All members", "G0"]
    assert body["memberships"][0]["state"] == "enrolled"


@pytest.mark.parametrize("rows", [1, 100])
def test_inventory_has_a_fixed_query_count(rows, api, organization, django_assert_max_num_queries):
    profile = CustomerProfileFactory(organization=organization, integration_id="ann")
    stock(organization, profile, rows)
    with django_assert_max_num_queries(INVENTORY_BUDGET):
        body = api.get("/api/v1/customer-profiles/ann/inventory").json()
    assert len(body["loyalty"]) == len(body["audiences"]) == len(body["memberships"]) == rows
    assert len(body["groups"]) == rows + 1  # and All members
    assert all(entry["tier"]["name"] == "Gold" for entry in body["loyalty"])


def test_inventory_sections_can_be_left_out_and_others_are_404(
    api, organization, other_organization
):
    CustomerProfileFactory(organization=organization, integration_id="ann")
    CustomerProfileFactory(organization=other_organization, integration_id="eve")
    body = api.get(
        "/api/v1/customer-profiles/ann/inventory", {"loyalty": "false", "audiences": "false"}
    ).json()
    assert set(body) == {"profile", "groups", "memberships"}
    response = api.get("/api/v1/customer-profiles/ann/inventory", {"loyalty": "no"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "loyalty"
    assert api.get("/api/v1/customer-profiles/eve/inventory").status_code == 404
    assert api.get("/api/v1/customer-profiles/nobody/inventory").status_code == 404
