"""Swagger UI and ReDoc render from our own static files: nothing is fetched from the
internet (the test fails any request that leaves the live server)."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _block_other_hosts(page, base_url, allowed_images=()):
    """Abort every request that leaves the live server, and list them (an image of the
    `allowed_images` hosts is cosmetic: ReDoc's "powered by" footer logo)."""
    outside = []

    def route(route):
        request = route.request
        if request.url.startswith(base_url):
            route.continue_()
            return
        if not (request.resource_type == "image" and request.url.startswith(allowed_images)):
            outside.append(request.url)
        route.abort()

    page.route("**/*", route)
    return outside


def test_swagger_ui_renders_its_operations_offline(live_server, page):
    outside = _block_other_hosts(page, live_server.url)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 50
    assert page.get_by_text("/api/v1/customer-profiles/", exact=True).first.is_visible()
    page.locator(".opblock-summary").first.click()  # an operation opens with its parameters
    page.wait_for_selector(".opblock-body")
    assert outside == []


def test_redoc_renders_offline(live_server, page):
    outside = _block_other_hosts(page, live_server.url, allowed_images=("https://cdn.redoc.ly/",))
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("text=Loyalty back-office API", timeout=20_000)
    assert page.get_by_text("customer-profiles", exact=False).count() > 0
    assert outside == []
