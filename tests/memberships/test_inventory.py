"""Customer inventory: one call, every section, a bounded number of queries."""

import pytest

from audiences import services as audience_services
from loyalty import ledger
from loyalty import services as loyalty_services
from memberships import services
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


def test_inventory_returns_every_section_in_bounded_queries(
    api, organization, django_assert_max_num_queries
):
    profile = CustomerProfileFactory(organization=organization, integration_id="ann")
    program = loyalty_services.create_loyalty_program(
        organization=organization, data={"name": "Club", "subledgers_allowed": True}
    )
    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "T"},
        tiers=[{"name": "Gold", "order": 1, "min_points": 100}],
    )
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    ledger.earn_points(program=program, profile=profile, amount=150)
    ledger.earn_points(program=program, profile=profile, amount=5, subledger_id="coffee")
    audience = audience_services.create_audience(organization=organization, data={"name": "A"})
    audience_services.add_members(audience=audience, integration_ids=["ann"])
    services.add_memberships(
        organization=organization,
        items=[{"program": program.pk, "profile": "ann", "state": "enrolled"}],
    )
    with django_assert_max_num_queries(10):
        body = api.get("/api/v1/customer-profiles/ann/inventory").json()
    assert body["profile"]["integration_id"] == "ann"
    (loyalty,) = body["loyalty"]
    assert loyalty["balance"]["active"] == 150
    assert loyalty["subledger_balances"]["coffee"]["active"] == 5
    assert loyalty["tier"]["name"] == "Gold"
    assert [a["name"] for a in body["audiences"]] == ["A"]
    assert [g["name"] for g in body["groups"]] == ["All members"]
    assert body["memberships"][0]["state"] == "enrolled"


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
