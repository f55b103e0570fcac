"""The analyst view (/analytics) in a real browser, over a small business made through the
suite's own APIs: charts drawn, in English and in Persian (right to left), a CSV download
that opens in a spreadsheet."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import screenshot, sign_in
from tests.support.analytics import Business, seed
from tests.support.suite import PASSWORD, Suite

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("analytics"),
                    env={"CRM_QUIET_HOURS": "off", "CRM_SURVEY_THROTTLE_DAYS": "0"})
    await running.start()
    await running.create_person("alex.analyst", "Alex Analyst", "analyst")
    await running.create_person("oscar.operator", "Oscar Operator", "operator")
    yield running
    await running.stop()


@pytest.fixture(scope="module")
async def business(suite: Suite) -> Business:
    return await seed(suite)


async def analyst_view(browser: Browser, suite: Suite) -> Page:
    """/analytics in a new browser context, in English, not signed in."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        accept_downloads=True)
    page = await context.new_page()
    await page.goto(suite.url("registry") + "/analytics")
    await page.click("#lang-en")
    return page


async def signed_in(browser: Browser, suite: Suite) -> Page:
    page = await analyst_view(browser, suite)
    await sign_in_here(page, "alex.analyst")
    return page


async def sign_in_here(page: Page, login: str) -> None:
    await page.fill("#login-input", login)
    await page.fill("#password-input", PASSWORD)
    await page.click("#sign-in-button")
    await page.wait_for_selector("#session-status", state="visible")


async def test_the_analyst_sees_every_chart_and_downloads_the_profitability(
        browser: Browser, suite: Suite, business: Business, tmp_path: Path) -> None:
    page = await signed_in(browser, suite)
    await expect(page.locator("#preset-quarter")).to_have_attribute("aria-pressed", "true")
    bars = page.locator("#profit-chart rect.bar")
    await expect(bars).to_have_count(3)  # vip, ordinary, employee this quarter
    await expect(page.locator("#profit-chart rect.bar.best")).to_have_attribute(
        "data-group", "vip")
    await expect(page.locator("#profit-verdict")).to_contain_text(
        "Most profitable category: VIP, ")
    await expect(page.locator("#profit-verdict")).to_contain_text("255,000.00 RUB")
    await expect(page.locator("#profit-table tbody tr")).to_have_count(3)
    await expect(page.locator("#value-chart path.line")).to_have_count(1)
    await expect(page.locator("#value-chart line.threshold.gold")).to_have_count(1)
    await expect(page.locator("#ratings-chart rect.bar")).not_to_have_count(0)
    await expect(page.locator("#ratings-verdict")).to_contain_text("Anna Petrova")
    await expect(page.locator("#referrals-chart rect.bar")).to_have_count(1)

    await page.click("#preset-all")  # the year's lapses are older than this quarter
    await expect(page.locator("#lapsed-chart rect.bar")).not_to_have_count(0)
    await expect(page.locator("#lapsed-verdict")).to_contain_text("2 customers lapsed")
    await page.click("#by-source")
    await expect(page.locator("#by-source")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#profit-chart rect.bar[data-group=friend]")).to_have_count(1)
    await screenshot(page, "17-analytics-all-time-by-source")

    async with page.expect_download() as waiting:
        await page.click("#profit-csv")
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert download.suggested_filename == "profitability-by-source.csv"
    assert text.startswith("\ufeffsource,revenue_RUB,customers,revenue_per_customer_RUB,")
    assert "\r\nfriend," in text
    await page.context.close()


async def test_the_view_reads_right_to_left_in_persian(
        browser: Browser, suite: Suite, business: Business) -> None:
    page = await signed_in(browser, suite)
    await page.click("#lang-fa")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("#profit-verdict")).to_contain_text("سودآورترین گروه")
    await expect(page.locator("#profit-verdict")).to_contain_text("۲۵۵٬۰۰۰٫۰۰")  # digits
    await expect(page.locator("#profit-chart rect.bar")).to_have_count(3)
    # mirrored: the bars grow from the right, where a Persian line starts
    best = page.locator("#profit-chart rect.bar.best")
    x = float(await best.get_attribute("x") or 0)
    width = float(await best.get_attribute("width") or 0)
    assert x + width == pytest.approx(720 - 190)
    await screenshot(page, "18-analytics-persian")
    await page.context.close()


async def test_an_operator_is_told_the_view_is_for_analysts(
        browser: Browser, suite: Suite) -> None:
    page = await analyst_view(browser, suite)
    await sign_in_here(page, "oscar.operator")
    await expect(page.locator("#error")).to_have_text(
        "The analyst view is for analysts and admins.")
    await expect(page.locator("#reports")).to_be_hidden()
    await page.context.close()


async def test_the_page_shares_the_panels_session(
        browser: Browser, suite: Suite, business: Business) -> None:
    """Signed in on the panel, the analyst opens the view in the same tab: no second sign-in."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(suite.url("registry") + "/")
    await sign_in(page, "alex.analyst")
    await page.goto(suite.url("registry") + "/analytics")
    await expect(page.locator("#session-name")).to_have_text("Alex Analyst")
    await expect(page.locator("#profit-chart rect.bar")).not_to_have_count(0)
    await context.close()
