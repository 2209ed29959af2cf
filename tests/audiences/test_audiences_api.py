"""Audiences through the API: CRUD, rules, tier-range audiences, members, bulk endpoints."""

import pytest

from audiences import services
from audiences.models import Audience, AudienceGroup, AudienceMembership
from customers.models import CustomerProfile
from loyalty import ledger
from loyalty import services as loyalty_services
from tests.factories import CustomerProfileFactory
from tests.helpers import error_map

pytestmark = pytest.mark.django_db

URL = "/api/v1/audiences"


@pytest.fixture
def customers(organization):
    return [
        CustomerProfileFactory(
            organization=organization, integration_id=f"c{i}", attributes={"city": city}
        )
        for i, city in enumerate(["Leeds", "Leeds", "York", "Hull"])
    ]


@pytest.fixture
def program(organization):
    return loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})


def test_create_with_rules_refresh_and_list_members(
    api, customers, django_capture_on_commit_callbacks
):
    body = {
        "name": "Leeds",
        "refresh_interval_seconds": 300,
        "rules": [{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}],
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    audience = response.json()
    assert audience["rules"][0]["field"] == "attributes.city"
    assert audience["created_by"] == api.api_key.name  # the API key that created it
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly in tests
        response = api.post(f"{URL}/{audience['id']}/refresh")
    assert response.status_code == 202
    members = api.get(f"{URL}/{audience['id']}/members").json()["results"]
    assert sorted(m["integration_id"] for m in members) == ["c0", "c1"]
    assert api.get(f"{URL}/{audience['id']}").json()["member_count"] == 2
    log = api.get(f"{URL}/{audience['id']}/refreshes").json()["results"]
    assert (log[0]["status"], log[0]["added"], log[0]["removed"]) == ("completed", 2, 0)


def test_bad_rule_is_a_400_naming_the_rule(api):
    body = {
        "name": "x",
        "rules": [
            {"field": "email", "operator": "exists"},
            {"field": "attributes.city", "operator": "in", "values": []},
        ],
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert error_map(response)["rules"] == ["Rule 2 (attributes.city in): needs 1 to 1,000 values."]
    assert not Audience.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "refresh_interval_seconds": 5}, "refresh_interval_seconds"),
        ({"name": "x", "group": "00000000-0000-0000-0000-000000000000"}, "group"),
        ({"name": "x", "metadata": [1]}, "metadata"),
        ({"name": "x", "rules": [{"field": "email", "operator": "like"}]}, "rules.0.operator"),
    ],
)
def test_invalid_audiences(api, body, attr):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert attr in error_map(response)


def test_rename_archive_filter_and_delete(api, organization):
    group = AudienceGroup.objects.create(organization=organization, name="Seasonal")
    first = api.post(URL, {"name": "Summer", "group": str(group.pk)}, format="json").json()
    api.post(URL, {"name": "Winter"}, format="json")
    assert (
        api.patch(f"{URL}/{first['id']}", {"name": "Summer 26"}, format="json").status_code == 200
    )
    api.patch(f"{URL}/{first['id']}", {"archived": True}, format="json")
    names = lambda params: [a["name"] for a in api.get(URL, params).json()["results"]]  # noqa: E731
    assert names({"archived": "true"}) == ["Summer 26"]
    assert names({"group": str(group.pk)}) == ["Summer 26"]
    assert names({"name": "wint"}) == ["Winter"]
    assert api.post(f"{URL}/{first['id']}/refresh").status_code == 409  # archived
    assert api.delete(f"{URL}/{first['id']}").status_code == 204
    assert names({}) == ["Winter"]


def test_dry_run_preview(api, customers):
    body = {"rules": [{"field": "attributes.city", "operator": "in", "values": ["York", "Hull"]}]}
    response = api.post(f"{URL}/preview", body, format="json")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {p["integration_id"] for p in response.json()["sample"]} == {"c2", "c3"}
    assert not Audience.objects.exists()


def test_members_add_remove_and_clear(api, organization, customers):
    audience = services.create_audience(organization=organization, data={"name": "Hand-made"})
    url = f"{URL}/{audience.pk}/members"
    added = api.post(url, {"integration_ids": ["c0", "c1", "c1"]}, format="json")
    assert added.json() == {"added": 2}
    unknown = api.post(url, {"integration_ids": ["c2", "ghost"]}, format="json")
    assert unknown.status_code == 400
    assert "integration_ids.1.integration_ids" in error_map(unknown)
    assert audience.memberships.count() == 2  # nothing written
    too_many = api.post(url, {"integration_ids": [f"x{i}" for i in range(1001)]}, format="json")
    assert too_many.status_code == 413
    removed = api.delete(url, {"integration_ids": ["c0"]}, format="json")
    assert removed.json() == {"removed": 1}
    assert api.delete(f"{URL}/{audience.pk}/memberships").json() == {"removed": 1}
    assert Audience.objects.get().member_count == 0


def test_customer_audiences_bulk_is_all_or_nothing(api, organization, customers):
    a = services.create_audience(organization=organization, data={"name": "A"})
    b = services.create_audience(organization=organization, data={"name": "B"})
    services.add_members(audience=b, integration_ids=["c3"])
    body = {
        "data": [
            {"profile_integration_id": "c0", "audience_id": str(a.pk), "action": "add"},
            {"profile_integration_id": "c1", "audience_id": str(b.pk), "action": "add"},
            {"profile_integration_id": "c3", "audience_id": str(b.pk), "action": "delete"},
        ]
    }
    response = api.post("/api/v1/customer-audiences", body, format="json")
    assert response.json() == {"added": 2, "removed": 1}
    assert set(AudienceMembership.objects.values_list("profile__integration_id", "audience")) == {
        ("c0", a.pk),
        ("c1", b.pk),
    }
    bad = {
        "data": [
            {"profile_integration_id": "c2", "audience_id": str(a.pk), "action": "add"},
            {"profile_integration_id": "ghost", "audience_id": str(a.pk), "action": "add"},
            {
                "profile_integration_id": "c2",
                "audience_id": "00000000-0000-0000-0000-000000000000",
                "action": "add",
            },
        ]
    }
    response = api.post("/api/v1/customer-audiences", bad, format="json")
    assert response.status_code == 400
    assert set(error_map(response)) == {"data.1.profile_integration_id", "data.2.audience_id"}
    assert AudienceMembership.objects.count() == 2


def test_customer_audiences_cannot_touch_another_organizations_audience(
    api, organization, other_organization, customers
):
    theirs = services.create_audience(organization=other_organization, data={"name": "T"})
    body = {
        "data": [{"profile_integration_id": "c0", "audience_id": str(theirs.pk), "action": "add"}]
    }
    response = api.post("/api/v1/customer-audiences", body, format="json")
    assert response.status_code == 400
    assert not AudienceMembership.objects.exists()


def test_customer_attributes_on_every_member_in_one_update(
    api, organization, customers, django_assert_max_num_queries
):
    audience = services.create_audience(organization=organization, data={"name": "A"})
    services.add_members(audience=audience, integration_ids=["c0", "c2"])
    url = f"{URL}/{audience.pk}/customer-attributes"
    with django_assert_max_num_queries(10):
        response = api.put(url, {"attributes": {"segment": "gold", "city": None}}, format="json")
    assert response.json() == {"updated": 2}
    attributes = dict(CustomerProfile.objects.values_list("integration_id", "attributes"))
    assert attributes["c0"] == {"segment": "gold"}  # merged; city removed
    assert attributes["c2"] == {"segment": "gold"}
    assert attributes["c1"] == {"city": "Leeds"}  # not a member: untouched
    bad = api.put(url, {"attributes": {"bad key": 1}}, format="json")
    assert bad.status_code == 400


def test_loyalty_tier_audiences_in_one_call(api, organization, program, customers):
    for profile, points in zip(customers, (10, 150, 700, 0), strict=True):
        if points:
            ledger.earn_points(program=program, profile=profile, amount=points)
    body = {
        "group_name": "Coffee tiers",
        "program": str(program.pk),
        "tiers": [
            {"name": "Bronze", "order": 1, "start_value": 0, "end_value": 99, "icon_name": "cup"},
            {"name": "Silver", "order": 2, "start_value": 100, "end_value": 499},
            {"name": "Gold", "order": 3, "start_value": 500},
        ],
    }
    response = api.post(f"{URL}/loyalty-tiers", body, format="json")
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["group"]["name"] == "Coffee tiers"
    assert [a["name"] for a in result["audiences"]] == ["Bronze", "Silver", "Gold"]
    assert result["audiences"][2]["end_value"] is None
    # they follow the program's points on a schedule, not only when refreshed by hand
    assert {a["refresh_interval_seconds"] for a in result["audiences"]} == {300}
    for audience in Audience.objects.all():
        services.refresh_audience(audience_id=audience.pk)
    counts = dict(Audience.objects.values_list("name", "member_count"))
    assert counts == {"Bronze": 2, "Silver": 1, "Gold": 1}


@pytest.mark.parametrize(
    ("tiers", "fragment"),
    [
        (
            [
                {"name": "Bronze", "order": 1, "start_value": 0, "end_value": 100},
                {"name": "Silver", "order": 2, "start_value": 100},
            ],
            "Tier 2 (“Silver”): range 100 to ∞ overlaps “Bronze” (order 1, 0 to 100).",
        ),
        (
            [
                {"name": "Bronze", "order": 1, "start_value": 0, "end_value": 9},
                {"name": "Silver", "order": 1, "start_value": 10},
            ],
            "order 1 is already used by “Bronze”",
        ),
    ],
)
def test_loyalty_tier_overlap_names_both_tiers_and_writes_nothing(api, program, tiers, fragment):
    response = api.post(f"{URL}/loyalty-tiers", {"group_name": "G", "tiers": tiers}, format="json")
    assert response.status_code == 400
    assert any(fragment in message for message in error_map(response)["tiers"])
    assert not Audience.objects.exists()
    assert not AudienceGroup.objects.exists()


def test_loyalty_tiers_without_a_program_then_naming_one(
    api, organization, program, customers, other_organization
):
    loyalty_services.create_loyalty_program(organization=organization, data={"name": "Second"})
    ledger.earn_points(program=program, profile=customers[0], amount=700)
    body = {"group_name": "G", "tiers": [{"name": "Gold", "order": 1, "start_value": 500}]}
    response = api.post(f"{URL}/loyalty-tiers", body, format="json")
    assert response.status_code == 201  # whatever programs the organization has
    [gold] = response.json()["audiences"]
    assert gold["rules"] == [] and gold["program"] is None
    assert gold["refresh_interval_seconds"] is None  # no points source: nothing to refresh
    # members come from the API meanwhile
    api.post(f"{URL}/{gold['id']}/members", {"integration_ids": [customers[1].integration_id]},
             format="json")  # fmt: skip
    theirs = loyalty_services.create_loyalty_program(
        organization=other_organization, data={"name": "T"}
    )
    assert (
        api.patch(f"{URL}/{gold['id']}", {"program": str(theirs.pk)}, format="json").status_code
        == 400
    )

    named = api.patch(f"{URL}/{gold['id']}", {"program": str(program.pk)}, format="json")
    assert named.status_code == 200, named.json()
    assert named.json()["program"] == str(program.pk)
    assert named.json()["rules"][0]["field"] == f"loyalty.points.{program.pk}"
    assert named.json()["refresh_interval_seconds"] == 300
    services.refresh_audience(audience_id=gold["id"])
    members = set(
        AudienceMembership.objects.filter(audience_id=gold["id"]).values_list(
            "profile__integration_id", flat=True
        )
    )
    assert members == {customers[0].integration_id, customers[1].integration_id}
    plain = services.create_audience(organization=organization, data={"name": "Plain"})
    refused = api.patch(f"{URL}/{plain.pk}", {"program": str(program.pk)}, format="json")
    assert refused.status_code == 400 and "program" in error_map(refused)


def test_list_query_count_is_fixed(api, organization, django_assert_max_num_queries):
    for i in range(5):
        services.create_audience(
            organization=organization,
            data={"name": f"A{i}"},
            rules=[{"field": "email", "operator": "exists"}],
        )
    with django_assert_max_num_queries(8):
        assert len(api.get(URL).json()["results"]) == 5


@pytest.mark.postgres
def test_postgres_exclusion_constraint_keeps_group_ranges_apart(organization):
    from django.db import IntegrityError, transaction

    group = AudienceGroup.objects.create(organization=organization, name="G")
    Audience.objects.create(
        organization=organization, name="A", group=group, start_value=0, end_value=100
    )
    with (
        pytest.raises(IntegrityError, match="audience_ranges_do_not_overlap"),
        transaction.atomic(),
    ):
        Audience.objects.create(organization=organization, name="B", group=group, start_value=100)


def test_created_by_and_updated_by_name_the_key_or_the_staff_user(api, organization):
    api.api_key.name = "crm sync"
    api.api_key.save()
    created = api.post(URL, {"name": "By key"}, format="json").json()
    assert created["created_by"] == created["updated_by"] == "crm sync"
    audience = Audience.objects.get(pk=created["id"])
    from django.contrib.auth import get_user_model

    from organizations.tenancy import Actor

    staff = get_user_model().objects.create_user("ann", password="x")
    services.update_audience(audience=audience, data={"name": "By Ann"}, actor=Actor(user=staff))
    read = api.get(f"{URL}/{audience.pk}").json()
    assert (read["created_by"], read["updated_by"]) == ("crm sync", "ann")
