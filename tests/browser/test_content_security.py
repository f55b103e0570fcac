"""The panel under its Content-Security-Policy in a real browser: everything it does runs
without a violation, and an injected inline handler is blocked (and would be reported)."""

import random
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.browser.conftest import sign_in
from tests.support.suite import Suite

pytestmark = pytest.mark.browser

# Recorded by the page itself, from before the panel's own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push({directive: event.violatedDirective, blocked: event.blockedURI});
});
"""


async def watched_panel(browser: Browser, suite: Suite,
                        console: list[str]) -> tuple[Page, str]:
    """A new person with an extension, signed in with the call line open; console errors
    go to ``console``. Returns the page and the extension."""
    login, extension = f"csp{uuid.uuid4().hex[:6]}", str(random.randrange(2000, 9999))
    await suite.create_person(login, "Nina Orlova", extension=extension)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append(message.text)

    page.on("console", keep)
    await page.goto(suite.url("registry") + "/")
    await sign_in(page, login)
    await expect(page.locator("#line-status")).to_have_attribute("data-state", "on")
    return page, extension


async def violations(page: Page) -> list[dict[str, Any]]:
    return list(await page.evaluate("window.__violations"))


async def test_the_panel_works_under_its_policy_without_a_single_violation(
    browser: Browser, suite: Suite,
) -> None:
    console: list[str] = []
    page, _ = await watched_panel(browser, suite, console)
    # Register a caller (the card colours its category badge from script), then read the
    # card in Persian, right to left.
    await page.fill("#phone-input", f"8 916 {random.randrange(10**7):07d}")
    await page.press("#phone-input", "Enter")
    await expect(page.locator("#register-section")).to_be_visible()
    await page.fill("#register-name", "Pavel Sokolov")
    await page.click("#register-submit")
    await expect(page.locator("#card")).to_be_visible()
    await page.click("#lang-fa")
    await expect(page.locator("#card-name")).to_have_text("Pavel Sokolov")
    await page.click("#lang-en")

    assert await violations(page) == []
    assert [text for text in console if "Content Security Policy" in text] == []
    await page.context.close()


async def test_an_injected_inline_handler_is_blocked_and_reported(
    browser: Browser, suite: Suite,
) -> None:
    console: list[str] = []
    page, _ = await watched_panel(browser, suite, console)
    await page.evaluate("""document.body.insertAdjacentHTML(
        "beforeend", '<img id="bait" src="/no-such-image" onerror="window.__ran = true">')""")
    await page.wait_for_function("window.__violations.length > 0")
    assert await page.evaluate("window.__ran === undefined")
    assert any(v["directive"].startswith("script-src") for v in await violations(page))
    await page.context.close()
