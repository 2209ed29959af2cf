"""The system "All members" group: exactly the profiles with an enrolled, active membership,
and a members_count equal to its real size after every kind of change (the count is moved by
what each change did, not recounted, so a drift would stay)."""

import pytest

from core.errors import BatchValidationError
from customers import services as customer_services
from loyalty import services as loyalty_services
from memberships import services
from memberships.models import LoyaltyMembership
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs(organization):
    return [
        loyalty_services.create_loyalty_program(organization=organization, data={"name": name})
        for name in ("Coffee club", "Tea club")
    ]


@pytest.fixture
def people(organization):
    return [
        CustomerProfileFactory(organization=organization, integration_id=f"p{i}") for i in range(4)
    ]


def all_members(organization) -> set[str]:
    """The group's members, after checking its stored count against them."""
    group = services.all_members_group(organization)
    group.refresh_from_db()
    names = set(group.members.values_list("profile__integration_id", flat=True))
    assert group.members_count == len(names)
    return names


def add(organization, program, profile, state):
    [membership] = services.add_memberships(
        organization=organization,
        items=[{"program": program.pk, "profile": profile, "state": state}],
    )
    return membership


def set_state(organization, membership, state):
    services.update_memberships(
        organization=organization, items=[{"id": membership.pk, "state": state}]
    )


def test_all_members_follows_every_change_and_keeps_its_count(organization, programs, people):
    coffee, tea = programs
    p0_coffee = add(organization, coffee, "p0", "enrolled")
    p0_tea = add(organization, tea, "p0", "enrolled")  # second enrolment: still one member
    p1_coffee = add(organization, coffee, "p1", "pending")
    add(organization, coffee, "p2", "new")
    assert all_members(organization) == {"p0"}

    set_state(organization, p1_coffee, "enrolled")
    assert all_members(organization) == {"p0", "p1"}

    set_state(organization, p0_coffee, "canceled")  # still enrolled in tea
    assert all_members(organization) == {"p0", "p1"}

    services.delete_memberships(organization=organization, ids=[p0_tea.pk])
    assert all_members(organization) == {"p1"}

    set_state(organization, p0_coffee, "pending")
    set_state(organization, p0_coffee, "enrolled")  # back in
    assert all_members(organization) == {"p0", "p1"}

    # a change that does not touch the enrolment (code only) changes nothing
    services.update_memberships(
        organization=organization, items=[{"id": p1_coffee.pk, "code": "NEW-CODE"}]
    )
    assert all_members(organization) == {"p0", "p1"}

    customer_services.delete_customer_profile(profile=people[1])
    assert all_members(organization) == {"p0"}


def test_a_failed_batch_leaves_the_group_as_it_was(organization, programs, people):
    coffee, _ = programs
    add(organization, coffee, "p0", "enrolled")
    with pytest.raises(BatchValidationError):
        services.add_memberships(
            organization=organization,
            items=[
                {"program": coffee.pk, "profile": "p1", "state": "enrolled"},
                {"program": coffee.pk, "profile": "nobody", "state": "enrolled"},
            ],
        )
    assert all_members(organization) == {"p0"}
    assert not LoyaltyMembership.objects.filter(profile=people[1]).exists()


def test_each_organization_has_its_own(organization, other_organization, programs, people):
    add(organization, programs[0], "p0", "enrolled")
    their_program = loyalty_services.create_loyalty_program(
        organization=other_organization, data={"name": "Theirs"}
    )
    CustomerProfileFactory(organization=other_organization, integration_id="p0")
    add(other_organization, their_program, "p0", "enrolled")
    services.delete_memberships(
        organization=other_organization,
        ids=list(
            LoyaltyMembership.objects.filter(organization=other_organization).values_list(
                "pk", flat=True
            )
        ),
    )
    assert all_members(organization) == {"p0"}
    assert all_members(other_organization) == set()
