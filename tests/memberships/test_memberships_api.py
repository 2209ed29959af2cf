"""Loyalty memberships: batch add/update/delete, states, primary, filters, limits."""

import pytest

from loyalty import ledger
from loyalty import services as loyalty_services
from memberships.models import LoyaltyMembership, MembersGroup
from tests.factories import CustomerProfileFactory
from tests.helpers import error_map

pytestmark = pytest.mark.django_db

URL = "/api/v1/loyalty-memberships"


@pytest.fixture
def program(organization):
    return loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})


@pytest.fixture
def people(organization):
    return [
        CustomerProfileFactory(organization=organization, integration_id=f"p{i}") for i in range(5)
    ]


def add(api, *items):
    return api.post(f"{URL}/batch-add", {"memberships": list(items)}, format="json")


def test_batch_add_then_read_back(api, program, people):
    response = add(
        api,
        {"program": str(program.pk), "profile": "p0", "is_primary": True, "code": "A1"},
        {"program": str(program.pk), "profile": "p1", "state": "enrolled", "points": 5},
    )
    assert response.status_code == 201, response.json()
    rows = response.json()["memberships"]
    assert [(r["profile"], r["is_primary"], r["state"]) for r in rows] == [
        ("p0", True, "new"),
        ("p1", False, "enrolled"),
    ]
    assert rows[1]["points"] == 5  # no ledger account: the stored value
    ledger.earn_points(program=program, profile=people[1], amount=40)
    assert api.get(f"{URL}/{rows[1]['id']}").json()["points"] == 40  # the ledger wins


def test_batch_is_all_or_nothing_with_errors_per_item(api, program, people):
    response = add(
        api,
        {"program": str(program.pk), "profile": "p0"},
        {"program": str(program.pk), "profile": "ghost"},
        {"program": "00000000-0000-0000-0000-000000000000", "profile": "p1"},
        {"program": str(program.pk), "profile": "p0"},
    )
    assert response.status_code == 400
    assert set(error_map(response)) == {
        "memberships.1.profile",
        "memberships.2.program",
        "memberships.3.profile",
    }
    assert not LoyaltyMembership.objects.exists()
    shape = add(api, {"program": str(program.pk), "profile": "p2", "state": "flying"})
    assert set(error_map(shape)) == {"memberships.0.state"}


def test_more_than_1000_is_413(api, program):
    items = [{"program": str(program.pk), "profile": f"x{i}"} for i in range(1001)]
    assert add(api, *items).status_code == 413


def test_one_primary_per_profile(api, organization, program, people):
    other = loyalty_services.create_loyalty_program(organization=organization, data={"name": "Q"})
    add(api, {"program": str(program.pk), "profile": "p0", "is_primary": True})
    response = add(api, {"program": str(other.pk), "profile": "p0", "is_primary": True})
    assert response.status_code == 400
    assert "memberships.0.is_primary" in error_map(response)
    both = add(
        api,
        {"program": str(other.pk), "profile": "p1", "is_primary": True},
        {"program": str(program.pk), "profile": "p1", "is_primary": True},
    )
    assert "memberships.1.is_primary" in error_map(both)


def test_database_allows_one_primary_per_profile(organization, program, people):
    from django.db import IntegrityError, transaction

    other = loyalty_services.create_loyalty_program(organization=organization, data={"name": "Q"})
    LoyaltyMembership.objects.create(
        organization=organization, program=program, profile=people[0], is_primary=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyMembership.objects.create(
            organization=organization, program=other, profile=people[0], is_primary=True
        )


def test_batch_update_null_and_omitted_leave_values_and_states_follow_transitions(
    api, program, people
):
    ids = [
        m["id"]
        for m in add(
            api,
            {"program": str(program.pk), "profile": "p0", "code": "KEEP", "url": "https://a.io"},
            {"program": str(program.pk), "profile": "p1"},
        ).json()["memberships"]
    ]
    response = api.post(
        f"{URL}/batch-update",
        {"memberships": [{"id": ids[0], "code": None, "state": "enrolled"}, {"id": ids[1]}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    first = response.json()["memberships"][0]
    assert (first["code"], first["url"], first["state"]) == ("KEEP", "https://a.io", "enrolled")
    bad = api.post(
        f"{URL}/batch-update", {"memberships": [{"id": ids[0], "state": "new"}]}, format="json"
    )
    assert bad.status_code == 400
    assert (
        "From enrolled a membership can go to: canceled." in error_map(bad)["memberships.0.state"]
    )
    duplicate = api.post(
        f"{URL}/batch-update", {"memberships": [{"id": ids[0]}, {"id": ids[0]}]}, format="json"
    )
    assert "memberships.1.id" in error_map(duplicate)


def test_the_tier_is_the_tier_engines_and_cannot_be_written(api, program, people):
    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "T"},
        tiers=[
            {"name": "Silver", "order": 1, "min_points": 0, "max_points": 99},
            {"name": "Gold", "order": 2, "min_points": 100},
        ],
    )
    gold = structure.tiers.get(name="Gold")
    refused = add(api, {"program": str(program.pk), "profile": "p0", "tier": str(gold.pk)})
    assert "memberships.0.tier" in error_map(refused)  # it can say Gold only if the engine does
    created = add(api, {"program": str(program.pk), "profile": "p0"})
    assert created.status_code == 201 and created.json()["memberships"][0]["tier"] is None
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    ledger.earn_points(program=program, profile=people[0], amount=150)
    [row] = api.get(URL, {"profile": "p0"}).json()["results"]
    assert row["tier"] == str(gold.pk) and row["points"] == 150  # the engine's, the ledger's
    update = {"memberships": [{"id": row["id"], "tier": str(gold.pk)}]}
    assert api.post(f"{URL}/batch-update", update, format="json").status_code == 400
    # the customer's data export says the same tier
    [exported] = api.get("/api/v1/customer-data/p0").json()["loyalty_memberships"]
    assert exported["tier_id"] == str(gold.pk)


def test_soft_delete_and_activity_state_filter(api, program, people):
    ids = [
        m["id"]
        for m in add(
            api, *[{"program": str(program.pk), "profile": f"p{i}"} for i in range(3)]
        ).json()["memberships"]
    ]
    response = api.post(f"{URL}/batch-delete", {"ids": [ids[0], ids[1]]}, format="json")
    assert response.json() == {"deleted": 2}
    assert len(api.get(URL).json()["results"]) == 1
    assert len(api.get(URL, {"activity_state": "deleted"}).json()["results"]) == 2
    assert len(api.get(URL, {"activity_state": "all"}).json()["results"]) == 3
    assert api.get(f"{URL}/{ids[0]}").json()["activity_state"] == "deleted"
    again = api.post(f"{URL}/batch-delete", {"ids": [ids[0]]}, format="json")
    assert again.status_code == 400
    dup = api.post(f"{URL}/batch-delete", {"ids": [ids[2], ids[2]]}, format="json")
    assert dup.status_code == 400
    # a new membership for the same program and profile is possible after deletion
    assert add(api, {"program": str(program.pk), "profile": "p0"}).status_code == 201


def test_list_filters_and_limit(api, organization, program, people):
    other = loyalty_services.create_loyalty_program(organization=organization, data={"name": "Q"})
    added = add(
        api,
        {"program": str(program.pk), "profile": "p0", "state": "enrolled"},
        {"program": str(program.pk), "profile": "p1"},
        {"program": str(other.pk), "profile": "p1"},
    ).json()["memberships"]
    profiles = lambda params: sorted(r["profile"] for r in api.get(URL, params).json()["results"])  # noqa: E731
    assert profiles({"profile": "p1"}) == ["p1", "p1"]
    assert profiles({"profile": "p0,p1,nobody"}) == ["p0", "p1", "p1"]
    assert profiles({"program": str(other.pk)}) == ["p1"]
    assert profiles({"program": f"{other.pk},{program.pk}"}) == ["p0", "p1", "p1"]
    assert profiles({"ids": f"{added[0]['id']},{added[2]['id']}"}) == ["p0", "p1"]
    assert profiles({"state": "enrolled"}) == ["p0"]
    assert profiles({"updated_after": "2999-01-01T00:00:00Z"}) == []
    page = api.get(URL, {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    too_many = ",".join(f"x{i}" for i in range(1001))
    assert api.get(URL, {"profile": too_many}).status_code == 400


def test_single_object_endpoints(api, program, people):
    created = api.post(URL, {"program": str(program.pk), "profile": "p3"}, format="json")
    assert created.status_code == 201
    url = f"{URL}/{created.json()['id']}"
    assert api.patch(url, {"state": "pending"}, format="json").json()["state"] == "pending"
    assert api.delete(url).status_code == 204
    assert api.get(url).json()["activity_state"] == "deleted"


def test_batch_add_of_1000_uses_a_bounded_number_of_queries(
    api, organization, program, django_assert_max_num_queries
):
    CustomerProfileFactory.create_batch(1000, organization=organization)
    items = [
        {"program": str(program.pk), "profile": p.integration_id, "state": "enrolled"}
        for p in organization_profiles(organization)
    ]
    # a handful of reads and one INSERT per table; SQLite splits an INSERT into batches of at
    # most 999 parameters (~70 memberships), so it needs ~20 more statements than PostgreSQL
    with django_assert_max_num_queries(40):
        response = add(api, *items)
    assert response.status_code == 201
    assert MembersGroup.objects.get(system=True).members_count == 1000


def organization_profiles(organization):
    from customers.models import CustomerProfile

    return CustomerProfile.objects.filter(organization=organization)


def test_batch_responses_match_the_single_object_representation(api, program, people):
    """Batch responses are built without the serializer (for speed): they must not drift."""
    ledger.earn_points(program=program, profile=people[0], amount=7)
    rows = add(
        api,
        {"program": str(program.pk), "profile": "p0", "is_primary": True, "code": "X",
         "url": "https://a.io", "expiration_date": "2030-01-01T00:00:00Z"},
        {"program": str(program.pk), "profile": "p1", "points": 3},
    ).json()["memberships"]  # fmt: skip
    for row in rows:
        assert row == api.get(f"{URL}/{row['id']}").json()


def test_another_organizations_key_cannot_reach_memberships_by_id(api, other_api, program, people):
    [mine] = add(api, {"program": str(program.pk), "profile": "p0", "state": "enrolled"}).json()[
        "memberships"
    ]
    assert other_api.get(f"{URL}/{mine['id']}").status_code == 404
    assert other_api.get(URL, {"ids": mine["id"]}).json()["results"] == []
    assert other_api.get(URL, {"profile": "p0"}).json()["results"] == []
    update = other_api.post(
        f"{URL}/batch-update",
        {"memberships": [{"id": mine["id"], "state": "canceled"}]},
        format="json",
    )
    assert update.status_code == 400
    assert (
        other_api.post(f"{URL}/batch-delete", {"ids": [mine["id"]]}, format="json").status_code
        == 400
    )
    stored = LoyaltyMembership.objects.get(pk=mine["id"])
    assert (stored.state, stored.deleted_at) == ("enrolled", None)


def test_a_post_search_takes_1000_ids_in_its_body(api, other_api, program, people):
    created = add(
        api,
        *[{"program": str(program.pk), "profile": f"p{n}"} for n in range(3)],
    ).json()["memberships"]
    import uuid

    wanted = [created[0]["id"], created[2]["id"], *[str(uuid.uuid4()) for _ in range(998)]]
    found = api.post(f"{URL}/search", {"ids": wanted}, format="json")
    assert found.status_code == 200, found.json()
    assert {m["id"] for m in found.json()["results"]} == {created[0]["id"], created[2]["id"]}
    by_profile = api.post(f"{URL}/search?limit=1", {"profile": ["p1", "p2"]}, format="json")
    assert by_profile.status_code == 200, by_profile.json()
    assert len(by_profile.json()["results"]) == 1 and by_profile.json()["next"]
    too_many = api.post(f"{URL}/search", {"ids": [*wanted, str(uuid.uuid4())]}, format="json")
    assert too_many.status_code == 400
    theirs = other_api.post(f"{URL}/search", {"ids": wanted}, format="json")
    assert theirs.json()["results"] == []
