"""Group members are tenant rows: every writer fills `organization` with the group's, and the
admin scopes them like any other tenant row."""

import pytest
from django.db.models import F

from audiences import services as audience_services
from loyalty import services as loyalty_services
from memberships import services
from memberships.models import MembersGroupMember
from organizations.models import Role
from tests.factories import (
    CustomerProfileFactory,
    MembersGroupFactory,
    OrganizationMemberFactory,
)

pytestmark = pytest.mark.django_db

MEMBERS_ADMIN = "/admin/memberships/membersgroupmember/"


def test_another_organizations_staff_cannot_see_a_groups_members_in_the_admin(
    client, organization, other_organization, staff_user_factory
):
    CustomerProfileFactory(organization=organization, integration_id="ann", email="ann@acme.test")
    group = services.create_group(organization=organization, data={"name": "VIP"})
    services.add_group_members(group=group, identifier_type="id", identifiers=["ann"])
    member = MembersGroupMember.objects.get(group=group)

    client.force_login(staff_user_factory(other_organization, role=Role.OWNER))
    assert "ann@acme.test" not in client.get(MEMBERS_ADMIN).content.decode()
    filtered = client.get(MEMBERS_ADMIN, {"group__id__exact": group.pk, "q": "ann"})
    assert "ann@acme.test" not in filtered.content.decode()
    detail = client.get(f"{MEMBERS_ADMIN}{member.pk}/change/")
    assert detail.status_code == 302  # "does not exist": back to the admin index
    assert "ann@acme.test" not in client.get(detail.url, follow=True).content.decode()

    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    assert "ann@acme.test" in client.get(MEMBERS_ADMIN).content.decode()
    assert client.get(f"{MEMBERS_ADMIN}{member.pk}/change/").status_code == 200


def test_staff_of_two_organizations_can_filter_members_by_organization(
    client, organization, other_organization, staff_user_factory
):
    for org, name in ((organization, "ann"), (other_organization, "eve")):
        CustomerProfileFactory(organization=org, integration_id=name, email=f"{name}@x.test")
        group = services.create_group(organization=org, data={"name": "VIP"})
        services.add_group_members(group=group, identifier_type="id", identifiers=[name])
    user = staff_user_factory(organization, role=Role.VIEWER)
    OrganizationMemberFactory(organization=other_organization, user=user, role=Role.VIEWER)
    client.force_login(user)
    page = client.get(MEMBERS_ADMIN).content.decode()
    assert "ann@x.test" in page and "eve@x.test" in page
    only_theirs = client.get(MEMBERS_ADMIN, {"organization__id__exact": other_organization.pk})
    assert "eve@x.test" in only_theirs.content.decode()
    assert "ann@x.test" not in only_theirs.content.decode()


def test_every_writer_fills_the_organization_with_the_groups(organization, other_organization):
    for org in (organization, other_organization):
        people = [
            CustomerProfileFactory(organization=org, integration_id=f"p{i}") for i in range(4)
        ]
        program = loyalty_services.create_loyalty_program(organization=org, data={"name": "P"})
        # All members: the add path (one insert), then the sync path (delete + insert)
        [joined] = services.add_memberships(
            organization=org, items=[{"program": program.pk, "profile": "p0", "state": "enrolled"}]
        )
        [synced] = services.add_memberships(
            organization=org, items=[{"program": program.pk, "profile": "p1"}]
        )
        services.update_memberships(
            organization=org, items=[{"id": synced.pk, "state": "enrolled"}]
        )
        # a manual group's bulk add
        manual = services.create_group(organization=org, data={"name": "VIP"})
        services.add_group_members(group=manual, identifier_type="id", identifiers=["p2", "p3"])
        # an automatic group following its audience (created with it, then after a refresh)
        audience = audience_services.create_audience(organization=org, data={"name": "A"})
        audience_services.add_members(audience=audience, integration_ids=["p0"])
        automatic = services.create_group(
            organization=org, data={"name": "Auto"}, audience=audience
        )
        audience_services.add_members(audience=audience, integration_ids=["p1"])
        services.follow_audience_groups(audience_id=audience.pk)
        # the model path: a row saved without an organization gets its group's
        by_hand = MembersGroupMember.objects.create(
            group=MembersGroupFactory(organization=org), profile=people[3]
        )
        assert by_hand.organization_id == org.pk
        assert joined.profile_id in set(
            services.all_members_group(org).members.values_list("profile_id", flat=True)
        )
        assert automatic.members.count() == 2

    members = MembersGroupMember.objects.all()
    assert members.count() == 2 * (2 + 2 + 2 + 1)
    assert not members.filter(organization__isnull=True).exists()
    assert not members.exclude(organization_id=F("group__organization_id")).exists()
    assert members.filter(organization=organization).count() == 7
