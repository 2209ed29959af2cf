"""Tier structures and tiers through the API: every validation rule, the lifecycle, tiers."""

import pytest
from django.db import IntegrityError, connection, transaction

from loyalty import services
from loyalty.models import Tier, TierStructure
from tests.factories import LoyaltyProgramFactory
from tests.helpers import error_map

from .conftest import BRONZE_SILVER_GOLD, ladder

pytestmark = pytest.mark.django_db

URL = "/api/v1/tier-structures"


@pytest.fixture
def payload(program):
    return {
        "program": str(program.pk),
        "name": "Coffee tiers",
        "type": "POINT_BALANCE",
        "tiers": BRONZE_SILVER_GOLD,
    }


def test_create_voucherify_payload_with_defaults(api, payload):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["object"] == "tier_structure"
    assert body["status"] == "DRAFT"
    assert body["point_earned"] is None
    assert body["expiration"]["type"] == "NO_EXPIRATION"
    assert body["downgrade"] == {"type": "NO_DOWNGRADE", "grace_period": None}
    assert [t["name"] for t in body["tiers"]] == ["Bronze", "Silver", "Gold"]
    assert body["tiers"][2]["max_points"] is None


def test_create_full_settings_round_trip(api, payload):
    payload.update(
        type="POINT_EARNED",
        point_earned={"period": {"value": 12, "unit": "MONTH"}, "type": "IMMEDIATELY"},
        expiration={
            "type": "SLIDING",
            # objects for other types may be sent (Voucherify's examples do) and are ignored
            "rolling_expiration": {"period": {"value": 2, "unit": "DAY"}},
            "sliding_expiration": {
                "period": {"value": 2, "unit": "MONTH"},
                "earning_activity": True,
                "spending_activity": False,
                "custom_activity": True,
                "custom_activity_types": ["store_visit"],
            },
        },
        downgrade={
            "type": "MULTI_LEVEL",
            "grace_period": {"value": 2, "unit": "DAY", "round_up": True},
        },
        metadata={"owner": "marketing"},
    )
    body = api.post(URL, payload, format="json").json()
    assert body["point_earned"] == {"period": {"value": 12, "unit": "MONTH"}, "type": "IMMEDIATELY"}
    assert body["expiration"]["rolling_expiration"] is None
    assert body["expiration"]["sliding_expiration"]["custom_activity_types"] == ["store_visit"]
    assert body["downgrade"]["grace_period"] == {"value": 2, "unit": "DAY", "round_up": True}
    structure = TierStructure.objects.get(pk=body["id"])
    assert structure.expiration_period_unit == "MONTH"
    assert structure.sliding_custom_activity is True


@pytest.mark.parametrize(
    ("change", "attr", "fragment"),
    [
        ({"name": ""}, "name", "blank"),
        ({"name": "x" * 201}, "name", "200"),
        ({"type": "POINTS"}, "type", "valid choice"),
        ({"type": "POINT_EARNED"}, "point_earned", "POINT_EARNED needs a period"),
        (
            {"point_earned": {"period": {"value": 1, "unit": "DAY"}}},
            "point_earned",
            "must be empty when type is POINT_BALANCE",
        ),
        (
            {"type": "POINT_EARNED", "point_earned": {"period": {"value": 1, "unit": "WEEK"}}},
            "point_earned.period.unit",
            "valid choice",
        ),
        ({"expiration": {"type": "ROLLING"}}, "expiration.rolling_expiration", "Required"),
        (
            {
                "expiration": {
                    "type": "CALENDAR",
                    "calendar_expiration": {"calendar_dates": [{"day": 31, "month": 2}]},
                }
            },
            "expiration",
            "31/2 is not a real date",
        ),
        (
            {
                "expiration": {
                    "type": "CALENDAR",
                    "calendar_expiration": {"calendar_dates": [{"day": 1, "month": 13}]},
                }
            },
            "expiration.calendar_expiration.calendar_dates.0.month",
            "less than or equal to 12",
        ),
        (
            {"expiration": {"type": "CALENDAR", "calendar_expiration": {"calendar_dates": []}}},
            "expiration",
            "at least one date",
        ),
        (
            {
                "expiration": {
                    "type": "CALENDAR",
                    "calendar_expiration": {
                        "calendar_dates": [{"day": 1, "month": 1}, {"day": 1, "month": 1}]
                    },
                }
            },
            "expiration",
            "listed twice",
        ),
        (
            {
                "expiration": {
                    "type": "SLIDING",
                    "sliding_expiration": {"period": {"value": 1, "unit": "DAY"}},
                }
            },
            "expiration",
            "at least one kind of activity",
        ),
        (
            {
                "expiration": {
                    "type": "SLIDING",
                    "sliding_expiration": {
                        "period": {"value": 1, "unit": "DAY"},
                        "custom_activity": True,
                    },
                }
            },
            "expiration",
            "Name the custom activity types",
        ),
        (
            {
                "expiration": {
                    "type": "SLIDING",
                    "sliding_expiration": {
                        "period": {"value": 0, "unit": "DAY"},
                        "earning_activity": True,
                    },
                }
            },
            "expiration.sliding_expiration.period.value",
            "greater than or equal to 1",
        ),
        (
            {"downgrade": {"type": "NO_DOWNGRADE", "grace_period": {"value": 1, "unit": "DAY"}}},
            "downgrade",
            "needs a downgrade type",
        ),
        ({"downgrade": {"type": "ONE_LEVEL"}}, "downgrade", "ONE_LEVEL needs an expiration"),
        ({"downgrade": {"type": "SIDEWAYS"}}, "downgrade.type", "valid choice"),
        ({"metadata": ["not", "an", "object"]}, "metadata", "dictionary"),
        ({"status": "INACTIVE"}, "status", "valid choice"),
        ({"program": "00000000-0000-0000-0000-000000000000"}, "program", "does not exist"),
    ],
)
def test_invalid_structure_settings_get_a_400_naming_the_field(
    api, payload, change, attr, fragment
):
    response = api.post(URL, {**payload, **change}, format="json")
    assert response.status_code == 400, response.json()
    found = error_map(response)
    assert attr in found, found
    assert any(fragment in message for message in found[attr]), found
    assert not TierStructure.objects.exists()


@pytest.mark.parametrize(
    ("tiers", "fragment"),
    [
        (
            ladder(("Bronze", 0, 100), ("Silver", 100, None)),
            "Tier 2 (“Silver”): range 100 to ∞ overlaps “Bronze” (order 1, 0 to 100).",
        ),
        (
            ladder(("Bronze", 0, None), ("Silver", 500, 900)),
            "overlaps “Bronze” (order 1, 0 to ∞)",
        ),
        (
            [
                {"name": "A", "order": 1, "min_points": 0, "max_points": 9},
                {"name": "B", "order": 1, "min_points": 10, "max_points": None},
            ],
            "order 1 is already used by “A”",
        ),
        (  # the order must rise with the ranges: Bronze cannot sit above Gold
            [
                {"name": "Bronze", "order": 206, "min_points": 0, "max_points": 199},
                {"name": "Gold", "order": 3, "min_points": 600, "max_points": None},
            ],
            "Tier 2 (“Gold”): order 3 must be above the order of “Bronze” (order 206, 0 to 199)",
        ),
        (
            [{"name": "A", "order": 1, "min_points": 50, "max_points": 10}],
            "max_points must not be below min_points",
        ),
    ],
)
def test_bad_ladders_name_the_other_tier(api, payload, tiers, fragment):
    response = api.post(URL, {**payload, "tiers": tiers}, format="json")
    assert response.status_code == 400
    assert any(fragment in m for m in error_map(response)["tiers"]), error_map(response)
    assert not TierStructure.objects.exists()


def test_negative_min_points_is_rejected(api, payload):
    payload["tiers"] = [{"name": "A", "order": 1, "min_points": -1}]
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "tiers.0.min_points" in error_map(response)


def test_lifecycle_and_transitions(api, payload):
    structure_id = api.post(URL, payload, format="json").json()["id"]
    detail = f"{URL}/{structure_id}"
    assert api.post(f"{detail}/deactivate").status_code == 409  # DRAFT -> INACTIVE
    assert api.post(f"{detail}/activate").json()["status"] == "ACTIVE"
    response = api.delete(detail)  # ACTIVE -> DELETED is not allowed
    assert response.status_code == 409
    assert "cannot become DELETED" in response.json()["errors"][0]["detail"]
    assert api.post(f"{detail}/deactivate").json()["status"] == "INACTIVE"
    assert api.post(f"{detail}/activate").json()["status"] == "ACTIVE"
    assert api.post(f"{detail}/deactivate").status_code == 200
    assert api.delete(detail).status_code == 204
    assert TierStructure.objects.get(pk=structure_id).status == "DELETED"  # soft
    assert api.post(f"{detail}/activate").status_code == 409
    assert api.patch(detail, {"name": "again"}, format="json").status_code == 409
    # deleted structures are hidden from the list unless asked for
    assert api.get(URL).json()["results"] == []
    assert len(api.get(URL, {"status": "DELETED"}).json()["results"]) == 1


def test_only_one_active_structure_per_program(api, payload):
    first = api.post(URL, {**payload, "status": "ACTIVE"}, format="json")
    assert first.status_code == 201
    second = api.post(URL, {**payload, "name": "Second"}, format="json").json()["id"]
    response = api.post(f"{URL}/{second}/activate")
    assert response.status_code == 409
    assert (
        "“Coffee tiers” is the program's active tier structure"
        in (response.json()["errors"][0]["detail"])
    )


def test_database_allows_one_active_structure_per_program(program):
    for name in ("a", "b"):
        services.create_tier_structure(
            program=program, data={"name": name}, tiers=BRONZE_SILVER_GOLD
        )
    TierStructure.objects.filter(name="a").update(status="ACTIVE")
    with pytest.raises(IntegrityError), transaction.atomic():
        TierStructure.objects.filter(name="b").update(status="ACTIVE")


def test_activation_needs_tiers(api, payload):
    structure_id = api.post(URL, {**payload, "tiers": []}, format="json").json()["id"]
    response = api.post(f"{URL}/{structure_id}/activate")
    assert response.status_code == 400
    assert "at least one tier" in response.json()["errors"][0]["detail"]


def test_patch_replaces_the_ladder_keeping_tier_ids(api, payload):
    body = api.post(URL, payload, format="json").json()
    bronze, silver, gold = body["tiers"]
    # swap Silver's and Gold's ranges and orders in one request (a reordering)
    new = [
        {"id": bronze["id"], "name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
        {"id": gold["id"], "name": "Gold", "order": 2, "min_points": 100, "max_points": 499},
        {"id": silver["id"], "name": "Silver", "order": 3, "min_points": 500, "max_points": None},
    ]
    response = api.patch(f"{URL}/{body['id']}", {"tiers": new}, format="json")
    assert response.status_code == 200, response.json()
    assert [(t["id"], t["order"]) for t in response.json()["tiers"]] == [
        (bronze["id"], 1),
        (gold["id"], 2),
        (silver["id"], 3),
    ]
    # leaving a tier out removes it
    response = api.patch(f"{URL}/{body['id']}", {"tiers": new[:2]}, format="json")
    assert len(response.json()["tiers"]) == 2
    assert not Tier.objects.filter(pk=silver["id"]).exists()


def test_patch_settings_only_changes_what_is_sent(api, payload):
    body = api.post(URL, {**payload, "downgrade": {"type": "MULTI_LEVEL"}}, format="json").json()
    response = api.patch(f"{URL}/{body['id']}", {"name": "Renamed"}, format="json")
    assert response.json()["name"] == "Renamed"
    assert response.json()["downgrade"]["type"] == "MULTI_LEVEL"
    assert len(response.json()["tiers"]) == 3


def test_tiers_endpoint_validates_against_the_rest_of_the_ladder(api, payload):
    structure_id = api.post(URL, payload, format="json").json()["id"]
    response = api.post(
        "/api/v1/tiers",
        {"structure": structure_id, "name": "Platinum", "order": 4, "min_points": 1000},
        format="json",
    )
    assert response.status_code == 400
    assert "overlaps “Gold” (order 3, 500 to ∞)" in error_map(response)["tiers"][0]
    gold = Tier.objects.get(name="Gold")
    response = api.patch(f"/api/v1/tiers/{gold.pk}", {"max_points": 999}, format="json")
    assert response.status_code == 200
    response = api.post(
        "/api/v1/tiers",
        {"structure": structure_id, "name": "Platinum", "order": 4, "min_points": 1000},
        format="json",
    )
    assert response.status_code == 201
    assert api.get("/api/v1/tiers", {"structure": structure_id}).json()["results"][0]["name"]
    assert api.delete(f"/api/v1/tiers/{response.json()['id']}").status_code == 204


def test_tiers_of_another_organizations_structure_cannot_be_added(api, other_organization):
    foreign = services.create_tier_structure(
        program=LoyaltyProgramFactory(organization=other_organization), data={"name": "x"}
    )
    response = api.post(
        "/api/v1/tiers",
        {"structure": str(foreign.pk), "name": "A", "order": 1, "min_points": 0},
        format="json",
    )
    assert response.status_code == 400
    assert "structure" in error_map(response)


@pytest.mark.postgres
def test_postgres_exclusion_constraint_rejects_overlapping_ranges(program):
    structure = services.create_tier_structure(
        program=program, data={"name": "x"}, tiers=ladder(("A", 0, 100))
    )
    with pytest.raises(IntegrityError, match="tier_ranges_do_not_overlap"), transaction.atomic():
        Tier.objects.create(
            organization=program.organization,
            structure=structure,
            name="B",
            order=2,
            min_points=100,
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_preview_and_ladder_endpoints(api, payload, profile, program):
    from loyalty import ledger

    ledger.earn_points(program=program, profile=profile, amount=150)
    structure_id = api.post(URL, payload, format="json").json()["id"]
    preview = api.get(f"{URL}/{structure_id}/preview").json()
    assert {row["name"]: row["count"] for row in preview} == {
        "Bronze": 0,
        "Silver": 1,
        "Gold": 0,
        "No tier": 0,
    }
    ladder_rows = api.get(f"{URL}/{structure_id}/ladder").json()
    assert [(row["tier"]["name"], row["range"], row["members"]) for row in ladder_rows][1] == (
        "Silver",
        "100 to 499",
        0,
    )


def test_list_query_count_is_fixed(api, payload, django_assert_max_num_queries):
    for i in range(5):
        api.post(URL, {**payload, "name": f"S{i}"}, format="json")
    with django_assert_max_num_queries(6):
        response = api.get(URL)
    assert len(response.json()["results"]) == 5
