import pytest

from organizations.models import Role
from tests.factories import CustomerProfileFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_and_sees_only_their_customer_profiles(
    live_server, page, log_in, staff_user_factory
):
    demo = OrganizationFactory(name="Demo Coffee Co", slug="demo")
    other = OrganizationFactory(name="Rival Tea", slug="rival")
    CustomerProfileFactory(organization=demo, integration_id="cust-ada", email="ada@example.com")
    CustomerProfileFactory(organization=other, integration_id="cust-rival")
    staff_user_factory(demo, role=Role.VIEWER, username="demo")

    log_in("demo")
    page.wait_for_selector("#site-name")
    page.click("text=Customer profiles")

    page.wait_for_selector("#result_list")
    table = page.inner_text("#result_list")
    assert "cust-ada" in table
    assert "ada@example.com" in table
    assert "cust-rival" not in table
    # a viewer gets no "Add" button
    assert page.locator("a.addlink").count() == 0

    page.fill("#searchbar", "ada@example.com")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    assert "cust-ada" in page.inner_text("#result_list")
