"""Member groups: manual, automatic (follow an audience), system (read-only)."""

import pytest

from audiences import services as audience_services
from audiences import tasks as audience_tasks
from audiences.models import Audience
from memberships import services
from memberships.models import MembersGroup
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/member-groups"


@pytest.fixture
def people(organization):
    return [
        CustomerProfileFactory(
            organization=organization,
            integration_id=f"p{i}",
            email=f"P{i}@Example.com".lower(),
            msisdn=f"+44770090000{i}",
            attributes={"city": "Leeds" if i < 2 else "York"},
        )
        for i in range(4)
    ]


def members(group):
    return set(group.members.values_list("profile__integration_id", flat=True))


def test_manual_group_bulk_add_by_email_with_unknowns_and_duplicates(api, people):
    group = api.post(URL, {"name": "VIP", "type": "vip"}, format="json").json()
    url = f"{URL}/{group['id']}/members"
    response = api.post(
        url,
        {
            "identifier_type": "email",
            "identifiers": [
                "P0@example.com",
                "p0@example.com",
                "nobody@example.com",
                "p1@example.com",
            ],
        },
        format="json",
    )
    assert response.json() == {"added": 2, "already_members": 0, "unknown": ["nobody@example.com"]}
    again = api.post(url, {"identifier_type": "id", "identifiers": ["p1", "p2"]}, format="json")
    assert again.json() == {"added": 1, "already_members": 1, "unknown": []}
    by_msisdn = api.delete(
        url, {"identifier_type": "msisdn", "identifiers": ["+447700900000"]}, format="json"
    )
    assert by_msisdn.json() == {"removed": 1, "unknown": []}
    listed = api.get(url).json()["results"]
    assert sorted(m["integration_id"] for m in listed) == ["p1", "p2"]
    assert api.get(f"{URL}/{group['id']}").json()["members_count"] == 2


def test_too_many_identifiers_is_413(api, people):
    group = api.post(URL, {"name": "Big"}, format="json").json()
    body = {"identifier_type": "id", "identifiers": [f"x{i}" for i in range(10_001)]}
    assert api.post(f"{URL}/{group['id']}/members", body, format="json").status_code == 413


def test_system_group_is_read_only_through_the_api(api, organization, people):
    listed = api.get(URL).json()["results"]
    system = next(g for g in listed if g["system"])
    assert system["name"] == "All members"
    url = f"{URL}/{system['id']}"
    assert api.patch(url, {"name": "Mine now"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    body = {"identifier_type": "id", "identifiers": ["p0"]}
    assert api.post(f"{url}/members", body, format="json").status_code == 403
    response = api.post(URL, {"name": "x", "system": True}, format="json")
    assert response.status_code == 400  # the API cannot make system groups, and says so
    assert response.json()["errors"][0]["attr"] == "system"
    assert not MembersGroup.objects.filter(name="x").exists()
    assert MembersGroup.objects.get(pk=system["id"]).name == "All members"


def test_all_members_group_follows_enrolled_memberships(api, organization, people):
    from loyalty import services as loyalty_services

    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    added = api.post(
        "/api/v1/loyalty-memberships/batch-add",
        {
            "memberships": [
                {"program": str(program.pk), "profile": "p0", "state": "enrolled"},
                {"program": str(program.pk), "profile": "p1", "state": "pending"},
            ]
        },
        format="json",
    ).json()["memberships"]
    group = services.all_members_group(organization)
    assert members(group) == {"p0"}
    api.post(
        "/api/v1/loyalty-memberships/batch-update",
        {"memberships": [{"id": added[1]["id"], "state": "enrolled"}]},
        format="json",
    )
    assert members(group) == {"p0", "p1"}
    api.post("/api/v1/loyalty-memberships/batch-delete", {"ids": [added[0]["id"]]}, format="json")
    assert members(group) == {"p1"}
    group.refresh_from_db()
    assert group.members_count == 1


def test_automatic_group_follows_its_audience_after_a_refresh(api, organization, people):
    audience = audience_services.create_audience(
        organization=organization,
        data={"name": "Leeds"},
        rules=[{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}],
    )
    group = api.post(URL, {"name": "Leeds fans", "audience_id": str(audience.pk)}, format="json")
    assert group.status_code == 201
    assert group.json()["automatic"] is True
    group = MembersGroup.objects.get(pk=group.json()["id"])
    assert members(group) == set()  # the audience has not been refreshed yet
    audience_tasks.refresh_audience_task.delay(str(audience.pk))
    assert members(group) == {"p0", "p1"}
    people[2].attributes = {"city": "Leeds"}
    people[2].save()
    people[0].attributes = {"city": "York"}
    people[0].save()
    audience_tasks.refresh_audience_task.delay(str(audience.pk))
    assert members(group) == {"p1", "p2"}
    group.refresh_from_db()
    assert group.members_count == 2
    edit = api.post(
        f"{URL}/{group.pk}/members", {"identifier_type": "id", "identifiers": ["p3"]}, format="json"
    )
    assert edit.status_code == 409
    assert "follows its audience" in edit.json()["errors"][0]["detail"]


def test_automatic_group_from_conditions_creates_a_backing_audience(api, people):
    body = {
        "name": "York",
        "audience_conditions": [{"field": "attributes.city", "operator": "eq", "values": ["York"]}],
    }
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    group = MembersGroup.objects.get(pk=response.json()["id"])
    assert group.audience is not None and group.automatic
    assert members(group) == {"p2", "p3"}
    # kept fresh on a schedule, not only when someone refreshes it by hand
    assert group.audience.refresh_interval_seconds == 300
    assert group.audience.next_refresh_at is not None
    bad = api.post(
        URL,
        {"name": "x", "audience_conditions": [{"field": "nope", "operator": "eq", "values": [1]}]},
        format="json",
    )
    assert bad.status_code == 400


def test_another_organizations_audience_cannot_back_a_group(api, other_organization):
    theirs = audience_services.create_audience(organization=other_organization, data={"name": "T"})
    response = api.post(URL, {"name": "x", "audience_id": str(theirs.pk)}, format="json")
    assert response.status_code == 400


def test_every_new_organization_has_its_all_members_group_and_a_list_writes_nothing(
    api, organization
):
    from organizations.services import create_organization

    created = create_organization(name="New Shop")
    assert MembersGroup.objects.filter(organization=created, system=True).count() == 1
    before = MembersGroup.objects.count()
    response = api.get(URL)
    assert response.status_code == 200
    assert [g["name"] for g in response.json()["results"] if g["system"]] == ["All members"]
    assert MembersGroup.objects.count() == before  # a GET creates no row


def test_the_seeds_own_conditions_are_accepted_and_answered_as_sent(api, organization, people):
    red = api.post(URL, {"name": "Red", "type": "Color"}, format="json").json()
    api.post(f"{URL}/{red['id']}/members", {"identifier_type": "id", "identifiers": ["p1", "p2"]},
             format="json")  # fmt: skip
    seed_item = {
        "type": "array",
        "field": "members_group_ids",
        "value": [red["id"]],
        "operator": "any",
        "condition_group": "member_properties",
    }
    body = {"name": "Red fans", "type": "Color", "description": "Lorem ipsum dolor est",
            "system": False, "audience_conditions": [seed_item]}  # fmt: skip
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["audience_conditions"] == [seed_item]  # the shape it was given
    group = MembersGroup.objects.get(pk=created["id"])
    assert members(group) == {"p1", "p2"} and group.automatic


def test_an_automatic_groups_conditions_or_audience_change_and_members_follow(api, people):
    york = {"field": "attributes.city", "operator": "eq", "values": ["York"]}
    created = api.post(URL, {"name": "Town", "audience_conditions": [york]}, format="json").json()
    group = MembersGroup.objects.get(pk=created["id"])
    assert members(group) == {"p2", "p3"}
    backing = group.audience_id
    leeds = {"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}
    changed = api.patch(f"{URL}/{group.pk}", {"audience_conditions": [leeds]}, format="json")
    assert changed.status_code == 200, changed.json()
    group.refresh_from_db()
    assert group.audience_id == backing and members(group) == {"p0", "p1"}

    other = audience_services.create_audience(
        organization=group.organization, data={"name": "Chosen"}
    )
    audience_services.add_members(audience=other, integration_ids=["p3"])
    moved = api.patch(f"{URL}/{group.pk}", {"audience_id": str(other.pk)}, format="json")
    assert moved.status_code == 200, moved.json()
    group.refresh_from_db()
    assert group.audience_id == other.pk and members(group) == {"p3"}
    assert not Audience.objects.filter(pk=backing).exists()  # its own audience is gone
