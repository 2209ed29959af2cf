"""Edge cases found in review: inputs that must be 400/404 (never 500), admin scoping, and
tier assignment after ladder or settings changes."""

import pytest

from loyalty import ledger, selectors, services
from loyalty.models import TierAssignment, TierChange, TierStructure
from organizations.models import Role
from tests.factories import LoyaltyProgramFactory

from .conftest import BRONZE_SILVER_GOLD, T0, days

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/loyalty-programs"


def test_day_counts_beyond_a_century_are_400(api):
    for field in ("pending_days", "points_validity_days"):
        response = api.post(PROGRAMS, {"name": "x", field: 2147483647}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == field


def test_points_activating_near_year_9999_are_400(api, program, profile):
    url = f"{PROGRAMS}/{program.pk}/profiles/{profile.integration_id}/add-points"
    response = api.post(url, {"amount": 1, "activates_at": "9999-12-25T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "activates_at"


@pytest.mark.parametrize(
    "change",
    [
        {
            "expiration": {
                "type": "ROLLING",
                "rolling_expiration": {"period": {"value": 101, "unit": "YEAR"}},
            }
        },
        {"type": "POINT_EARNED", "point_earned": {"period": {"value": 1201, "unit": "MONTH"}}},
        {"downgrade": {"type": "MULTI_LEVEL", "grace_period": {"value": 36501, "unit": "DAY"}}},
    ],
)
def test_periods_beyond_a_century_are_400(api, program, change):
    payload = {"program": str(program.pk), "name": "x", "tiers": BRONZE_SILVER_GOLD, **change}
    response = api.post("/api/v1/tier-structures", payload, format="json")
    assert response.status_code == 400
    assert "period is at most" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("path", ["profile/nul%00x/balances", "cards/nul%00x/balances"])
def test_unstorable_path_keys_are_404(api, program, path):
    assert api.get(f"{PROGRAMS}/{program.pk}/{path}").status_code in (400, 404)


def test_card_identifiers_must_be_routable(organization):
    program = services.create_loyalty_program(
        organization=organization, data={"name": "Cards", "kind": "card"}
    )
    with pytest.raises(Exception, match="without “/”"):
        services.create_loyalty_card(program=program, identifier="A/B")


def test_admin_program_filter_lists_only_own_programs(
    client, organization, other_organization, staff_user_factory
):
    LoyaltyProgramFactory(organization=other_organization, name="Rival secret program")
    LoyaltyProgramFactory(organization=organization, name="Our program")
    client.force_login(staff_user_factory(organization, role=Role.EDITOR))
    for url in ("/admin/loyalty/tierstructure/", "/admin/loyalty/pointstransaction/"):
        page = client.get(url).content.decode()
        assert "Rival secret program" not in page


def test_admin_cannot_create_a_structure_where_the_user_only_views(
    client, organization, other_organization, staff_user_factory
):
    from tests.factories import OrganizationMemberFactory

    user = staff_user_factory(organization, role=Role.EDITOR)
    OrganizationMemberFactory(organization=other_organization, user=user, role=Role.VIEWER)
    theirs = LoyaltyProgramFactory(organization=other_organization)
    client.force_login(user)
    response = client.post(
        "/admin/loyalty/tierstructure/add/",
        {
            "program": str(theirs.pk),
            "name": "sneaky",
            "type": "POINT_BALANCE",
            "expiration_type": "NO_EXPIRATION",
            "downgrade_type": "NO_DOWNGRADE",
            "metadata": "{}",
            "tiers-TOTAL_FORMS": "0",
            "tiers-INITIAL_FORMS": "0",
            "tiers-MIN_NUM_FORMS": "0",
            "tiers-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code in (200, 403)
    assert not TierStructure.objects.exists()


def test_ladder_change_recomputes_everyone(
    program, profile, make_structure, django_capture_on_commit_callbacks
):
    structure = make_structure(downgrade_type="MULTI_LEVEL")
    ledger.earn_points(program=program, profile=profile, amount=600)
    assert selectors.current_tier(program=program, profile=profile).name == "Gold"
    gold = structure.tiers.get(name="Gold")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_tier(tier=gold, data={"min_points": 1000})
        services.update_tier(tier=structure.tiers.get(name="Silver"), data={"max_points": 999})
    assert selectors.current_tier(program=program, profile=profile).name == "Silver"
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_tier(tier=gold)
    changes = list(TierChange.objects.values_list("from_tier_name", "to_tier_name"))
    assert ("Gold", "Silver") in changes  # names kept in the history after the delete


def test_switching_an_active_structure_to_expiring_starts_the_period(
    program, profile, make_structure
):
    structure = make_structure(downgrade_type="MULTI_LEVEL")
    ledger.earn_points(program=program, profile=profile, amount=600, now=T0)
    services.update_tier_structure(
        structure=structure,
        data={
            "expiration_type": "ROLLING",
            "expiration_period_value": 10,
            "expiration_period_unit": "DAY",
        },
    )
    ledger.spend_points(program=program, profile=profile, amount=600, now=T0 + days(1))
    assert TierAssignment.objects.get().expires_at == T0 + days(11)
    ledger.earn_points(program=program, profile=profile, amount=1, now=T0 + days(12))
    assert selectors.current_tier(program=program, profile=profile).name == "Bronze"


def test_reactivation_assigns_afresh(
    program, profile, make_structure, django_capture_on_commit_callbacks
):
    structure = make_structure()  # NO_DOWNGRADE
    ledger.earn_points(program=program, profile=profile, amount=600)
    services.set_tier_structure_status(structure=structure, status="INACTIVE")
    assert not TierAssignment.objects.exists()
    ledger.spend_points(program=program, profile=profile, amount=600)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_tier_structure_status(structure=structure, status="ACTIVE")
    assert selectors.current_tier(program=program, profile=profile).name == "Bronze"


def test_an_active_structure_keeps_at_least_one_tier(api, program, make_structure):
    structure = make_structure()
    response = api.patch(f"/api/v1/tier-structures/{structure.pk}", {"tiers": []}, format="json")
    assert response.status_code == 400
    assert structure.tiers.count() == 3
