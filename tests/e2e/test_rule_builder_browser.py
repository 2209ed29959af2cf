"""A loyalty manager builds a two-block audience rule with the picker only (no JSON typed),
watches the live count, and saves: the rules are stored in the API's format."""

import pytest

from audiences.models import Audience
from loyalty import ledger
from loyalty import services as loyalty_services
from organizations.models import Role
from tests.factories import CustomerProfileFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_builds_a_two_block_rule_and_sees_the_count(
    live_server, page, log_in, staff_user_factory, screenshot
):
    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    program = loyalty_services.create_loyalty_program(organization=demo, data={"name": "Club"})
    for i, (city, points) in enumerate(
        [("Leeds", 50), ("Leeds", 300), ("York", 10), ("Hull", 900)]
    ):
        profile = CustomerProfileFactory(
            organization=demo, integration_id=f"c{i}", attributes={"city": city}
        )
        ledger.earn_points(program=program, profile=profile, amount=points)
    staff_user_factory(demo, role=Role.EDITOR, username="manager")

    log_in("manager")
    page.goto(f"{live_server.url}/admin/audiences/audience/add/")
    page.select_option("#id_organization", str(demo.pk))
    page.fill("#id_name", "Leeds regulars or big spenders")
    assert not page.is_visible("#rules-group")  # the builder replaces the JSON table

    first = page.locator('.rb-group[data-group="0"] .rb-condition').first
    first.locator(".rb-field").select_option("attributes.city")
    first.locator(".rb-operator").select_option("in")
    chip = first.locator(".rb-chip-add")
    chip.fill("Leeds")
    chip.press("Enter")
    page.locator('.rb-group[data-group="0"] .rb-condition .rb-chip-add').fill("York")
    page.locator('.rb-group[data-group="0"] .rb-condition .rb-chip-add').press("Enter")
    page.wait_for_selector("text=3 customers match now")

    page.click(".rb-add-group")
    second = page.locator('.rb-group[data-group="1"] .rb-condition').first
    second.locator(".rb-field").select_option(f"loyalty.points.{program.pk}")
    second.locator(".rb-operator").select_option("between")
    values = second.locator(".rb-value")
    values.nth(0).fill("800")
    values.nth(1).fill("1000")
    values.nth(1).dispatch_event("change")
    page.wait_for_selector("text=4 customers match now")
    assert "c3" in page.inner_text(".rb-sample")
    screenshot(page, "rule-builder")

    page.click("input[name=_save]")
    page.wait_for_selector("#result_list")
    audience = Audience.objects.get(name="Leeds regulars or big spenders")
    assert sorted(
        (r.condition_group, r.field, r.operator, r.values) for r in audience.rules.all()
    ) == [
        (0, "attributes.city", "in", ["Leeds", "York"]),
        (1, f"loyalty.points.{program.pk}", "between", [800, 1000]),
    ]
    # the saved rules come back into the builder
    page.goto(f"{live_server.url}/admin/audiences/audience/{audience.pk}/change/")
    page.wait_for_selector(".rb-chip[data-value=York]")
    assert page.locator(".rb-group").count() == 2
    page.wait_for_selector("text=4 customers match now")


def test_the_same_builder_makes_a_group_automatic(
    live_server, page, log_in, staff_user_factory, screenshot
):
    from memberships.models import MembersGroup

    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    for i, city in enumerate(["Leeds", "Leeds", "York"]):
        CustomerProfileFactory(organization=demo, integration_id=f"g{i}", attributes={"city": city})
    staff_user_factory(demo, role=Role.EDITOR, username="manager")
    log_in("manager")
    page.goto(f"{live_server.url}/admin/memberships/membersgroup/add/")
    page.select_option("#id_organization", str(demo.pk))
    page.fill("#id_name", "Leeds locals")
    condition = page.locator(".rb-condition").first
    condition.locator(".rb-field").select_option("attributes.city")
    condition.locator(".rb-operator").select_option("eq")
    condition.locator(".rb-value").fill("Leeds")
    page.wait_for_selector("text=2 customers match now")
    screenshot(page, "group-builder")
    page.click("input[name=_save]")
    page.wait_for_selector("#result_list")
    group = MembersGroup.objects.get(name="Leeds locals")
    assert group.automatic and group.members.count() == 2


def test_an_earning_rules_conditions_are_built_the_same_way(
    live_server, page, log_in, staff_user_factory, screenshot
):
    from campaigns import services as campaign_services

    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    program = loyalty_services.create_loyalty_program(organization=demo, data={"name": "Club"})
    rule = campaign_services.create_earning_rule(
        program=program,
        data={"name": "Big carts", "trigger": "session_closed",
              "effects": [{"type": "add_points", "points": 10}]},
    )  # fmt: skip
    staff_user_factory(demo, role=Role.EDITOR, username="manager")
    log_in("manager")
    page.goto(f"{live_server.url}/admin/loyalty/loyaltyprogram/{program.pk}/change/")
    builder = page.locator("#earning_rules-group .rb-inline").first
    condition = builder.locator(".rb-condition").first
    condition.locator(".rb-field").select_option("session.total")
    condition.locator(".rb-operator").select_option("gte")
    condition.locator(".rb-value").fill("20")
    condition.locator(".rb-value").dispatch_event("change")
    builder.locator(".rb-add-condition").click()
    second = builder.locator(".rb-condition").nth(1)
    second.locator(".rb-field").select_option("session.categories")
    second.locator(".rb-operator").select_option("all")
    second.locator(".rb-chip-add").fill("coffee")
    second.locator(".rb-chip-add").press("Enter")
    page.wait_for_selector("text=Every customer, if the cart matches.")
    screenshot(page, "earning-rule-builder")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    rule.refresh_from_db()
    assert [(c["field"], c["operator"], c["values"]) for c in rule.conditions] == [
        ("session.total", "gte", [20]),
        ("session.categories", "all", ["coffee"]),
    ]
