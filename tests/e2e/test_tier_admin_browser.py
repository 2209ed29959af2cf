"""A staff editor builds a tier ladder in the admin with a real browser: an overlapping range
is reported naming the other tier, then fixed and saved, then the structure is activated."""

import pytest

from loyalty import services
from loyalty.models import TierStructure
from organizations.models import Role
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_tier(page, index, name, low, high):
    page.fill(f"#id_tiers-{index}-order", str(index + 1))
    page.fill(f"#id_tiers-{index}-name", name)
    page.fill(f"#id_tiers-{index}-min_points", str(low))
    page.fill(f"#id_tiers-{index}-max_points", "" if high is None else str(high))


def test_editor_builds_and_activates_a_tier_ladder(
    live_server, page, log_in, staff_user_factory, screenshot
):
    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    program = services.create_loyalty_program(organization=demo, data={"name": "Coffee Club"})
    staff_user_factory(demo, role=Role.EDITOR, username="editor")

    log_in("editor")
    page.goto(f"{live_server.url}/admin/loyalty/tierstructure/add/")
    page.select_option("#id_program", str(program.pk))
    page.fill("#id_name", "Coffee tiers")
    fill_tier(page, 0, "Bronze", 0, 150)
    page.click("#tiers-group .add-row a")
    fill_tier(page, 1, "Silver", 100, None)
    # the ladder shows the overlap before anything is saved
    ladder = page.locator("#tier-ladder-visual")
    assert "“Silver” (100 to ∞) overlaps “Bronze” (0 to 150)." in ladder.inner_text()
    assert page.locator(".ladder-band.ladder-bad").count() == 2
    screenshot(page, "ladder-overlap")
    page.fill("#id_tiers-1-min_points", "300")  # now a gap instead
    assert "No tier for 151 to 299 points" in ladder.inner_text()
    assert page.locator(".ladder-track .ladder-gap").count() == 1
    page.fill("#id_tiers-1-min_points", "100")
    page.click("input[name=_save]")

    errors = page.inner_text("#tiers-group .errorlist")
    assert "overlaps “Bronze” (order 1, 0 to 150)" in errors
    assert not TierStructure.objects.exists()

    page.fill("#id_tiers-0-max_points", "99")
    assert "no overlap or gap" in page.inner_text("#tier-ladder-visual")
    page.click("input[name=_save]")
    page.wait_for_selector("#result_list")
    assert "Coffee tiers" in page.inner_text("#result_list")

    page.check("#result_list input.action-select")
    page.select_option("select[name=action]", "make_active")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert "now ACTIVE" in page.inner_text(".messagelist")
    structure = TierStructure.objects.get()
    assert structure.status == "ACTIVE"
    assert list(structure.tiers.order_by("order").values_list("name", "max_points")) == [
        ("Bronze", 99),
        ("Silver", None),
    ]
