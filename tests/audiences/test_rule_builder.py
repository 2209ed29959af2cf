"""The admin's rule builder, server side: what it offers for an organization (fields by name,
operators by type, values to pick), the live count, and saving the rules it writes."""

import json

import pytest

from audiences.models import Audience
from loyalty import ledger
from loyalty import services as loyalty_services
from organizations.models import Role
from tests.audiences.test_admin import AUDIENCES, audience_form
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory, MembersGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, organization, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.EDITOR))
    return client


def test_the_builder_offers_the_organizations_fields(editor, organization, other_organization):
    program = LoyaltyProgramFactory(organization=organization, name="Coffee Club")
    loyalty_services.create_tier_structure(
        program=program, data={"name": "L"},
        tiers=[{"name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
               {"name": "Gold", "order": 2, "min_points": 100}],
    )  # fmt: skip
    CustomerProfileFactory(organization=organization, attributes={"city": "Leeds", "visits": 3})
    CustomerProfileFactory(organization=other_organization, attributes={"secret_key": 1})
    MembersGroupFactory(organization=organization, name="Staff")
    MembersGroupFactory(organization=other_organization, name="Their group")

    response = editor.get(f"{AUDIENCES}rule-fields/", {"organization": str(organization.pk)})
    assert response.status_code == 200
    fields = {f["value"]: f for f in response.json()["fields"]}
    assert fields["email"]["label"] == "Email" and "contains" in fields["email"]["operators"]
    assert fields["created_at"]["operators"] == ["gt", "gte", "lt", "lte", "between"]
    assert {"attributes.city", "attributes.visits"} <= set(fields)
    assert "attributes.secret_key" not in fields  # another organization's data
    points = fields[f"loyalty.points.{program.pk}"]
    assert (points["label"], points["kind"]) == ("Points in Coffee Club", "number")
    tier = fields[f"loyalty.tier.{program.pk}"]
    assert tier["choices"] == [["Bronze", "Bronze"], ["Gold", "Gold"]]
    groups = fields["member_groups"]
    assert [label for _, label in groups["choices"]] == ["All members", "Staff"]
    assert fields[f"membership.state.{program.pk}"]["label"] == "Membership state in Coffee Club"
    assert response.json()["operators"]["between"] == "is between"

    theirs = editor.get(f"{AUDIENCES}rule-fields/", {"organization": str(other_organization.pk)})
    assert theirs.status_code == 404


def test_the_live_count(editor, organization, other_organization):
    program = LoyaltyProgramFactory(organization=organization)
    for points in (10, 200, 300):
        ledger.earn_points(
            program=program, profile=CustomerProfileFactory(organization=organization),
            amount=points,
        )  # fmt: skip

    def preview(org, rules):
        return editor.post(
            f"{AUDIENCES}rule-preview/",
            json.dumps({"organization": str(org.pk), "rules": rules}),
            content_type="application/json",
        )

    rules = [{"field": f"loyalty.points.{program.pk}", "operator": "gte", "values": [100]}]
    answer = preview(organization, rules)
    assert answer.status_code == 200 and answer.json()["count"] == 2
    assert len(answer.json()["sample"]) == 2
    bad = preview(organization, [{"field": "shoe_size", "operator": "eq", "values": [9]}])
    assert bad.status_code == 400 and "shoe_size" in bad.json()["error"]
    assert preview(other_organization, rules).status_code == 404
    assert editor.get(f"{AUDIENCES}rule-preview/").status_code == 405


def test_saving_the_builders_rules(editor, organization):
    built = [
        {"field": "attributes.city", "operator": "in", "values": ["Leeds", "York"],
         "condition_group": 0},
        {"field": "email", "operator": "contains", "values": ["@acme"], "condition_group": 1},
    ]  # fmt: skip
    data = audience_form(organization, [], rules_builder=json.dumps(built))
    response = editor.post(f"{AUDIENCES}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    audience = Audience.objects.get(name="Leeds regulars")
    assert sorted((r.condition_group, r.field, r.values) for r in audience.rules.all()) == [
        (0, "attributes.city", ["Leeds", "York"]),
        (1, "email", ["@acme"]),
    ]
    page = editor.get(f"{AUDIENCES}{audience.pk}/change/").content.decode()
    assert "Leeds" in page and f'data-organization="{organization.pk}"' in page

    wrong = audience_form(
        organization, [], name="Bad",
        rules_builder=json.dumps([{"field": "shoe_size", "operator": "eq", "values": [9]}]),
    )  # fmt: skip
    refused = editor.post(f"{AUDIENCES}add/", wrong)
    assert refused.status_code == 200
    assert "shoe_size" in refused.content.decode()
    assert not Audience.objects.filter(name="Bad").exists()
    garbled = editor.post(f"{AUDIENCES}add/", audience_form(organization, [], name="G",
                                                            rules_builder="{not json"))  # fmt: skip
    assert garbled.status_code == 200 and not Audience.objects.filter(name="G").exists()


def test_earning_rules_get_the_sessions_fields_too(editor, organization):
    url = f"{AUDIENCES}rule-fields/"
    fields = {
        f["value"]: f
        for f in editor.get(
            url, {"organization": str(organization.pk), "subject": "earning"}
        ).json()["fields"]
    }
    assert fields["session.total"]["operators"] == [
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
    ]
    assert fields["session.categories"]["operators"] == ["in", "all", "not_in"]
    assert "email" in fields  # and the profile's
    plain = editor.get(url, {"organization": str(organization.pk)}).json()["fields"]
    assert "session.total" not in {f["value"] for f in plain}
    missing = editor.get(url, {"organization": str(organization.pk), "subject": "nope"})
    assert missing.status_code == 404


def test_a_rule_over_other_audiences(api, editor, organization, other_organization):
    from audiences import services as audience_services

    for name in ("ada", "bob", "cy"):
        CustomerProfileFactory(organization=organization, integration_id=name)
    vip = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    audience_services.add_members(audience=vip, integration_ids=["ada", "bob"])
    theirs = audience_services.create_audience(organization=other_organization,
                                               data={"name": "Theirs"})  # fmt: skip

    def count(rules):
        response = api.post("/api/v1/audiences/preview", {"rules": rules}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count([{"field": "audiences", "operator": "in", "values": [str(vip.pk)]}]) == 2
    assert count([{"field": "audiences", "operator": "not_in", "values": [str(vip.pk)]}]) == 1
    assert count([{"field": "audiences", "operator": "in", "values": [str(theirs.pk)]}]) == 0
    fields = {
        f["value"]: f
        for f in editor.get(
            f"{AUDIENCES}rule-fields/", {"organization": str(organization.pk)}
        ).json()["fields"]
    }
    assert fields["audiences"]["choices"] == [[str(vip.pk), "VIP"]]
