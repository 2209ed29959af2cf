"""Staff pages for memberships and member groups."""

import pytest

from memberships import services
from memberships.models import MembersGroup
from organizations.models import Role
from tests.factories import CustomerProfileFactory, MembersGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, organization, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.EDITOR))
    return client


def test_paste_identifiers_into_a_manual_group(editor, organization):
    CustomerProfileFactory(organization=organization, integration_id="a", email="a@example.com")
    group = services.create_group(organization=organization, data={"name": "VIP"})
    url = f"/admin/memberships/membersgroup/{group.pk}/paste/"
    response = editor.post(
        url,
        {"identifier_type": "email", "identifiers": "A@example.com\nghost@example.com"},
        follow=True,
    )
    page = response.content.decode()
    assert "1 added, 0 already members." in page and "ghost@example.com" in page
    group.refresh_from_db()
    assert group.members_count == 1
    members = editor.get(
        "/admin/memberships/membersgroupmember/", {"group__id__exact": group.pk, "q": "a"}
    ).content.decode()
    assert "a@example.com" in members


def test_system_groups_are_read_only_in_the_admin(editor, organization):
    system = services.all_members_group(organization)
    page = editor.get(f"/admin/memberships/membersgroup/{system.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' not in page.content
    response = editor.post(f"/admin/memberships/membersgroup/{system.pk}/change/", {"name": "x"})
    assert response.status_code == 403
    assert editor.get(f"/admin/memberships/membersgroup/{system.pk}/paste/").status_code == 403
    assert MembersGroup.objects.get(pk=system.pk).name == "All members"


def test_lists_render_and_stay_in_the_organization(editor, other_organization):
    MembersGroupFactory(organization=other_organization, name="Their group")
    assert "Their group" not in editor.get("/admin/memberships/membersgroup/").content.decode()
    assert editor.get("/admin/memberships/loyaltymembership/").status_code == 200
    assert editor.get("/admin/memberships/membersgroupmember/").status_code == 200
