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


def test_a_group_made_automatic_with_the_rule_builder(editor, organization):
    import json

    from memberships.models import MembersGroup
    from tests.factories import CustomerProfileFactory

    CustomerProfileFactory(organization=organization, integration_id="leeds-1",
                           attributes={"city": "Leeds"})  # fmt: skip
    CustomerProfileFactory(organization=organization, integration_id="york-1",
                           attributes={"city": "York"})  # fmt: skip
    built = [{"field": "attributes.city", "operator": "eq", "values": ["Leeds"],
              "condition_group": 0}]  # fmt: skip
    page = editor.get("/admin/memberships/membersgroup/add/").content.decode()
    assert "data-rule-builder" in page and "audiences/rule_builder.js" in page
    response = editor.post(
        "/admin/memberships/membersgroup/add/",
        {"organization": str(organization.pk), "name": "Leeds", "type": "", "description": "",
         "conditions_builder": json.dumps(built)},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    group = MembersGroup.objects.get(name="Leeds")
    assert group.automatic
    assert list(group.members.values_list("profile__integration_id", flat=True)) == ["leeds-1"]

    # the page offers the conditions back; saving them unchanged changes nothing
    change = f"/admin/memberships/membersgroup/{group.pk}/change/"
    assert "attributes.city" in editor.get(change).content.decode()
    form = {"name": "Leeds", "type": "", "description": "", "conditions_builder": json.dumps(built)}
    assert editor.post(change, form).status_code == 302
    built[0]["values"] = ["York"]
    assert editor.post(change, {**form, "conditions_builder": json.dumps(built)}).status_code == 302
    assert list(group.members.values_list("profile__integration_id", flat=True)) == ["york-1"]
    bad = [{"field": "shoe_size", "operator": "eq", "values": [9], "condition_group": 0}]
    refused = editor.post(change, {**form, "conditions_builder": json.dumps(bad)})
    assert refused.status_code == 200 and "shoe_size" in refused.content.decode()
