import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(
            "no browser: install Debian's chromium (`make e2e-deps`) to run the browser tests"
        )
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
    # and the live server around it are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


SCREENSHOTS = os.path.join(os.environ.get("TEST_OUTPUT_DIR", "var/test-output"), "screenshots")


@pytest.fixture
def screenshot(request):
    """screenshot(page, step): a full-page PNG of the page at this step, saved as
    `<TEST_OUTPUT_DIR or var/test-output>/screenshots/<test>-<step>.png`."""

    def take(page, step: str) -> str:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, f"{request.node.name}-{step}.png")
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def log_in(page, live_server):
    """log_in(username): sign in to the admin as a staff user the factories made (their
    password is the factories' own)."""

    def sign_in(username: str) -> None:
        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")

    return sign_in
