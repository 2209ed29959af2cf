"""A loyalty manager opens the admin: the dashboard draws its charts with the data in them,
and the ledger list downloads as a CSV file (a real browser download)."""

import csv
import io
from pathlib import Path

import pytest

from audiences import services as audience_services
from loyalty import ledger
from loyalty import services as loyalty_services
from organizations.models import Role
from tests.factories import CustomerProfileFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coffee(staff_user_factory):
    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    program = loyalty_services.create_loyalty_program(organization=demo, data={"name": "Club"})
    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "Ladder"},
        tiers=[
            {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
            {"name": "Gold", "order": 2, "min_points": 100},
        ],
    )
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    for points in (10, 20, 150):
        ledger.earn_points(
            program=program, profile=CustomerProfileFactory(organization=demo), amount=points
        )
    audience = audience_services.create_audience(organization=demo, data={"name": "Regulars"})
    audience_services.add_members(
        audience=audience,
        integration_ids=list(demo_profiles(demo)),
    )
    staff_user_factory(demo, role=Role.VIEWER, username="manager")
    return demo


def demo_profiles(organization):
    from customers.models import CustomerProfile

    return CustomerProfile.objects.filter(organization=organization).values_list(
        "integration_id", flat=True
    )


def test_the_dashboard_draws_its_charts(live_server, page, log_in, coffee, screenshot):
    log_in("manager")
    page.wait_for_selector("#dashboard")
    bars = page.locator("#dashboard-tiers svg g.bar")
    assert bars.count() == 2
    assert [bars.nth(i).get_attribute("data-value") for i in range(2)] == ["2", "1"]
    heights = [float(bars.nth(i).locator("rect").get_attribute("height")) for i in range(2)]
    assert heights[0] > heights[1] > 0  # drawn to scale, not an empty box
    issued = page.locator('#dashboard-points svg g[data-series="Issued"]')
    assert issued.get_attribute("data-total") == "180"
    assert issued.locator("circle").count() == 1  # today's dot
    assert "Regulars" in page.inner_text("#dashboard-audiences")
    screenshot(page, "dashboard")


def test_the_ledger_downloads_as_csv(live_server, page, log_in, coffee, screenshot):
    log_in("manager")
    page.goto(f"{live_server.url}/admin/loyalty/pointstransaction/")
    screenshot(page, "ledger-list")
    with page.expect_download() as download_info:
        page.click("a.csv-download")
    download = download_info.value
    assert download.suggested_filename == "ledger.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert sorted(int(r["amount"]) for r in rows) == [10, 20, 150]
