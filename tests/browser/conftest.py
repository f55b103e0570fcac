"""The running suite and headless Debian Chromium, driven by Playwright."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.support.suite import TOKENS, Suite

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    """The four services on their own broker: the card shows what scoring and loyalty add."""
    running = Suite(tmp_path_factory.mktemp("suite"))
    await running.start()
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


@pytest.fixture
async def page(browser: Browser, suite: Suite) -> AsyncIterator[Page]:
    """The operator panel, signed in with the operator token, in English."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    await opened.goto(suite.url("registry") + "/")
    await opened.fill("#token-input", TOKENS["operator"])
    await opened.click("#token-save")
    await opened.wait_for_selector("#token-status", state="visible")
    # The category list arrives after signing in; the forms need it.
    await opened.wait_for_function(
        "document.querySelectorAll('#register-category option').length > 0")
    yield opened
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
