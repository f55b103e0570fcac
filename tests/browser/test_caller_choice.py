"""Choosing the caller in a real browser, in a call center that serves the US and Iran
(CRM_PHONE_REGIONS=US,IR): ten digits that are a New Yorker's and a Tehrani's number show
both, typed or ringing, and the operator's pick opens the card (and gets the call). No
number and no search text is ever in a URL the panel requests."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect

from shared.contracts import topics
from tests.browser.conftest import PEOPLE, screenshot, sign_in, signed_in_panel
from tests.support.suite import TOKENS, Suite, values

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("choice"), services=("registry",),
                    env={"CRM_PHONE_REGIONS": "US,IR", "CRM_CALL_WRAP_UP_S": "0"})
    await running.start()
    for login, name, role in PEOPLE.values():
        await running.create_person(login, name, role)
    yield running
    await running.stop()


async def two_customers(suite: Suite) -> tuple[str, str, str]:
    """A New Yorker and a Tehrani whose numbers are the same ten digits:
    (the digits, the New Yorker's id, the Tehrani's id)."""
    digits = f"2125{random.randrange(10**6):06d}"
    ids = []
    async with suite.client("registry") as client:
        for name, phone, country in (("John Smith", f"+1{digits}", "US"),
                                     ("Reza Ahmadi", f"+98{digits}", "IR")):
            response = await client.post("/api/customers", json={
                "full_name": name, "phone": phone, "country": country})
            assert response.status_code == 201, response.text
            ids.append(response.json()["customer_id"])
    return digits, ids[0], ids[1]


def watch_urls(page: Page) -> list[str]:
    """Every URL the page requests from now on."""
    urls: list[str] = []

    def seen(request: Request) -> None:
        urls.append(request.url)

    page.on("request", seen)
    return urls


def carrying(urls: list[str], digits: str) -> list[str]:
    """The URLs with these digits in them, however the number was written."""
    return [url for url in urls if digits in "".join(filter(str.isdigit, unquote(url)))]


def choice(page: Page, customer_id: str) -> Any:
    return page.locator(f'#choices-list li[data-customer-id="{customer_id}"] button')


async def test_a_number_of_two_customers_shows_both_and_the_pick_opens_its_card(
        browser: Browser, suite: Suite) -> None:
    digits, new_yorker, tehrani = await two_customers(suite)
    page = await signed_in_panel(browser, suite)
    urls = watch_urls(page)

    await page.fill("#phone-input", f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
    await page.keyboard.press("Enter")
    await expect(page.locator("#choices-section")).to_be_visible()
    await expect(page.locator("#choices-list li")).to_have_count(2)
    await expect(choice(page, new_yorker)).to_contain_text("John Smith")
    await expect(choice(page, new_yorker)).to_contain_text(f"+1{digits}")
    await expect(choice(page, tehrani)).to_contain_text("Reza Ahmadi")
    await expect(choice(page, new_yorker)).to_be_focused()  # the first, for the keyboard
    await expect(page.locator("#card")).to_be_hidden()
    await expect(page.locator("#register-section")).to_be_hidden()
    await screenshot(page, "30-choose-the-caller")

    await choice(page, tehrani).click()
    await expect(page.locator("#card-name")).to_have_text("Reza Ahmadi")
    await expect(page.locator("#card-phone")).to_have_text(f"+98{digits}")
    await expect(page.locator("#choices-section")).to_be_hidden()

    await page.fill("#search-input", digits)
    await page.keyboard.press("Enter")
    await expect(page.locator("#search-results li")).to_have_count(2)
    assert urls and not carrying(urls, digits[3:]), urls
    assert not [url for url in urls if "q=" in url], urls
    await page.context.close()


async def test_a_ringing_number_of_two_customers_offers_both_and_the_pick_gets_the_call(
        browser: Browser, suite: Suite) -> None:
    digits, new_yorker, _ = await two_customers(suite)
    login, extension = f"desk{uuid.uuid4().hex[:6]}", str(random.randrange(2000, 9999))
    person = await suite.create_person(login, "Dana Desk", extension=extension)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(suite.url("registry") + "/")
    await sign_in(page, login)
    await expect(page.locator("#line-status")).to_have_attribute("data-state", "on")
    urls = watch_urls(page)
    call_id = f"call-{uuid.uuid4().hex[:8]}"

    async def pbx(event: str) -> None:
        async with httpx.AsyncClient(base_url=suite.url("registry"), headers={
                "Authorization": f"Bearer {TOKENS['telephony']}"}) as client:
            response = await client.post("/api/telephony/events", json={
                "call_id": call_id, "event": event, "from": digits, "extension": extension})
        assert response.status_code == 202, response.text

    await pbx("ringing")
    await expect(page.locator("#call-banner")).to_have_attribute("data-state", "ringing")
    await expect(page.locator("#call-phone")).to_have_text("Several customers have this number")
    await expect(page.locator("#choices-list li")).to_have_count(2)
    await choice(page, new_yorker).click()
    await expect(page.locator("#card-name")).to_have_text("John Smith")
    await expect(page.locator("#call-name")).to_have_text("John Smith")  # the call is his
    await expect(page.locator("#call-phone")).to_have_text(f"+1{digits}")

    await pbx("answered")
    await pbx("ended")
    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["customer_id"] == new_yorker for v in values(records)))
    [event] = [v for v in values(logged) if v["customer_id"] == new_yorker]
    assert event["operator_id"] == person["operator_id"]
    assert not carrying(urls, digits[3:]), urls
    await context.close()
