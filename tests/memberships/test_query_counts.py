"""A fixed number of queries whatever the number of rows: every memberships list endpoint (the
same budget at 1 row and at 100; the customer inventory's in test_inventory.py) and every
memberships admin changelist (as many queries at 1 row as at 30)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty import ledger
from loyalty import services as loyalty_services
from memberships import services
from memberships.models import LoyaltyMembership
from organizations.models import Role
from tests.factories import (
    AudienceFactory,
    CustomerProfileFactory,
    LoyaltyMembershipFactory,
    MembersGroupFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db

ROWS = [1, 100]


def enrolled_customers(organization, count: int):
    """`count` customers enrolled in one program (so in All members too)."""
    profiles = [
        CustomerProfileFactory(organization=organization, integration_id=f"c{i}")
        for i in range(count)
    ]
    program = loyalty_services.create_loyalty_program(
        organization=organization, data={"name": "Club"}
    )
    services.add_memberships(
        organization=organization,
        items=[
            {"program": program.pk, "profile": p.integration_id, "state": "enrolled"}
            for p in profiles
        ],
    )
    return profiles


# -- API lists: the same budget at 1 row and at 100 ---------------------------------------------

# Each request: the API key, and its last_used_at. Then the page (memberships: profiles
# joined, the ledger balance a subquery), for members the group first. (The customer
# inventory's: test_inventory.py.)
MEMBERSHIPS_LIST_BUDGET = 3
GROUPS_LIST_BUDGET = 3
GROUP_MEMBERS_LIST_BUDGET = 4


@pytest.mark.parametrize("rows", ROWS)
def test_memberships_list_has_a_fixed_query_count(
    rows, api, organization, django_assert_max_num_queries
):
    profiles = enrolled_customers(organization, rows)
    program = loyalty_services.create_loyalty_program(
        organization=organization, data={"name": "Points"}
    )
    for profile in profiles[:2]:  # some balances from the ledger, others stored
        services.add_memberships(
            organization=organization,
            items=[{"program": program.pk, "profile": profile.integration_id}],
        )
        ledger.earn_points(program=program, profile=profile, amount=10)
    with django_assert_max_num_queries(MEMBERSHIPS_LIST_BUDGET):
        response = api.get("/api/v1/loyalty-memberships", {"limit": 200})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows + min(rows, 2)


@pytest.mark.parametrize("rows", ROWS)
def test_member_groups_list_has_a_fixed_query_count(
    rows, api, organization, django_assert_max_num_queries
):
    audience = AudienceFactory(organization=organization)
    for i in range(rows):  # manual and automatic ones
        MembersGroupFactory(
            organization=organization, audience=audience if i % 2 else None, automatic=bool(i % 2)
        )
    with django_assert_max_num_queries(GROUPS_LIST_BUDGET):
        response = api.get("/api/v1/member-groups", {"page_size": 200})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows + 1  # and All members


@pytest.mark.parametrize("rows", ROWS)
def test_group_members_list_has_a_fixed_query_count(
    rows, api, organization, django_assert_max_num_queries
):
    profiles = [
        CustomerProfileFactory(organization=organization, integration_id=f"m{i}")
        for i in range(rows)
    ]
    group = services.create_group(organization=organization, data={"name": "VIP"})
    services.add_group_members(
        group=group, identifier_type="id", identifiers=[p.integration_id for p in profiles]
    )
    with django_assert_max_num_queries(GROUP_MEMBERS_LIST_BUDGET):
        response = api.get(f"/api/v1/member-groups/{group.pk}/members", {"page_size": 200})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


# -- admin changelists: as many queries at 1 row as at 30 ---------------------------------------


@pytest.fixture
def editor(client, organization, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.EDITOR))
    return client


def changelist_queries(client, url: str) -> int:
    client.get(url)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _memberships(organization, count):
    for _ in range(count):  # each with its own program (and tier ladder) and profile
        tier = TierFactory(organization=organization)
        LoyaltyMembershipFactory(organization=organization, program=tier.structure.program)


def _groups(organization, count):
    for _ in range(count):
        MembersGroupFactory(
            organization=organization,
            audience=AudienceFactory(organization=organization),
            automatic=True,
        )


def _group_members(organization, count):
    for i in range(count):  # each in a group of its own
        profile = CustomerProfileFactory(organization=organization)
        group = MembersGroupFactory(organization=organization, name=f"Group {i}")
        services.add_group_members(
            group=group, identifier_type="id", identifiers=[profile.integration_id]
        )


@pytest.mark.parametrize(
    ("url", "make", "rows_on_page"),
    [
        ("/admin/memberships/loyaltymembership/", _memberships, lambda n: n),
        ("/admin/memberships/membersgroup/", _groups, lambda n: n + 1),  # and All members
        ("/admin/memberships/membersgroupmember/", _group_members, lambda n: n),
    ],
    ids=["memberships", "groups", "group-members"],
)
def test_admin_changelist_query_count_does_not_grow_with_rows(
    url, make, rows_on_page, editor, organization
):
    make(organization, 1)
    one = changelist_queries(editor, url)
    make(organization, 29)
    response = editor.get(url)
    assert response.context["cl"].result_count == rows_on_page(30)
    assert changelist_queries(editor, url) == one


def test_group_changelist_shows_the_audience(editor, organization):
    audience = AudienceFactory(organization=organization, name="Regulars")
    MembersGroupFactory(organization=organization, audience=audience, automatic=True)
    assert "Regulars" in editor.get("/admin/memberships/membersgroup/").content.decode()


def test_soft_delete_action_query_count_does_not_grow_with_rows(editor, organization):
    def delete_all() -> int:
        ids = LoyaltyMembership.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True)
        data = {"action": "soft_delete", "_selected_action": [str(pk) for pk in ids]}
        with CaptureQueriesContext(connection) as queries:
            response = editor.post("/admin/memberships/loyaltymembership/", data)
        assert response.status_code == 302
        assert not LoyaltyMembership.objects.filter(deleted_at__isnull=True).exists()
        return len(queries)

    editor.get("/admin/memberships/loyaltymembership/")  # warm
    _memberships(organization, 1)
    one = delete_all()
    _memberships(organization, 30)
    assert delete_all() == one
