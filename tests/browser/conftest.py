"""The running suite and headless Debian Chromium, driven by Playwright."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.support.suite import PASSWORD, Suite

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


#: The people of the panel tests: (login, display name, role).
PEOPLE = {
    "anna": ("apetrova", "Anna Petrova", "operator"),
    "reza": ("rahmadi", "Reza Ahmadi", "operator"),
    "olga": ("omanager", "Olga Manager", "admin"),
}


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    """The four services on their own broker: the card shows what scoring and loyalty add;
    the people who sign in to the panel are in the directory."""
    running = Suite(tmp_path_factory.mktemp("suite"))
    await running.start()
    running.people = {  # type: ignore[attr-defined]
        key: await running.create_person(login, name, role)
        for key, (login, name, role) in PEOPLE.items()}
    yield running
    await running.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


async def signed_in_panel(browser: Browser, suite: Suite, who: str = "anna") -> Page:
    """A new browser context with the panel, signed in as one of ``PEOPLE``, in English."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    await opened.goto(suite.url("registry") + "/")
    await sign_in(opened, PEOPLE[who][0])
    return opened


async def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    await page.fill("#login-input", login)
    await page.fill("#password-input", password)
    await page.click("#sign-in-button")
    await page.wait_for_selector("#session-status", state="visible")
    # The category list arrives after signing in; the forms need it.
    # A selector, not a JavaScript predicate: polling a predicate string evaluates it, which
    # the panel's Content Security Policy (script-src 'self') refuses when it is not true at
    # once (seen in CI).
    await page.wait_for_selector("#register-category option", state="attached")


@pytest.fixture
async def page(browser: Browser, suite: Suite) -> AsyncIterator[Page]:
    """The operator panel, signed in as Anna Petrova, in English."""
    opened = await signed_in_panel(browser, suite)
    yield opened
    await opened.context.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
