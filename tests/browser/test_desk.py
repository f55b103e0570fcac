"""The operator's desk in a real browser: the phone rings and the card pops (in Persian, with
the reasons in Persian), the outcome is one key, and search, notes, history and choosing a
referrer, against the running suite."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from services.registry.domain.reasons import reason_text
from shared.contracts import topics
from tests.browser.conftest import screenshot, sign_in
from tests.support.data import new_phone
from tests.support.suite import TOKENS, Suite, eventually, values

pytestmark = pytest.mark.browser


async def pbx(suite: Suite, call_id: str, event: str, phone: str, extension: str) -> None:
    async with httpx.AsyncClient(base_url=suite.url("registry"), headers={
            "Authorization": f"Bearer {TOKENS['telephony']}"}) as client:
        response = await client.post("/api/telephony/events", json={
            "call_id": call_id, "event": event, "from": phone, "extension": extension})
    assert response.status_code == 202, response.text


async def registered(suite: Suite, **fields: Any) -> dict[str, Any]:
    """A customer registered by a machine client, once scoring has answered."""
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json={"country": "RU", **fields})
        assert response.status_code == 201, response.text
        customer = dict(response.json())

        async def scored() -> bool:
            card = await client.get(f"/api/callers/{customer['phone']}")
            return card.status_code == 200 and card.json()["risk"] is not None

        await eventually(scored, what="scoring's answer on the card")
    return customer


async def operator_at_desk(browser: Browser, suite: Suite, name: str,
                           language: str = "en") -> tuple[Page, str, str]:
    """A new operator with an extension, signed in to the panel with the line open:
    (page, operator_id, extension)."""
    login, extension = f"desk{uuid.uuid4().hex[:6]}", str(random.randrange(2000, 9999))
    person = await suite.create_person(login, name, extension=extension)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(suite.url("registry") + "/")
    await sign_in(page, login)
    if language != "en":
        await page.click(f"#lang-{language}")
    line = page.locator("#line-status")
    await expect(line).to_have_attribute("data-state", "on")
    await expect(line).to_contain_text(extension)
    return page, person["operator_id"], extension


async def test_a_ring_pops_the_card_in_persian_with_its_reasons_in_persian_and_one_key_logs_it(
        browser: Browser, suite: Suite) -> None:
    customer = await registered(suite, full_name="Alexander Pushkin", phone=new_phone())
    page, operator_id, extension = await operator_at_desk(browser, suite, "Sara Rahimi", "fa")
    call_id = f"call-{uuid.uuid4().hex[:8]}"

    await pbx(suite, call_id, "ringing", customer["phone"], extension)
    banner = page.locator("#call-banner")
    await expect(banner).to_have_attribute("data-state", "ringing")
    await expect(page.locator("#card")).to_be_visible()
    await expect(page.locator("#card-name")).to_have_text("Alexander Pushkin")
    famous = page.locator('#risk-reasons li[data-code="famous_name"]')
    await expect(famous).to_have_text(reason_text("famous_name", "fa"))
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    await screenshot(page, "20-ringing-card-pops-in-persian")

    await pbx(suite, call_id, "answered", customer["phone"], extension)
    await expect(banner).to_have_attribute("data-state", "answered")
    await page.locator("body").press("5")  # complaint, chosen during the call
    await expect(page.locator('#call-outcome button[data-outcome="complaint"]')
                 ).to_have_attribute("aria-pressed", "true")
    await pbx(suite, call_id, "ended", customer["phone"], extension)
    await expect(banner).to_have_attribute("data-state", "logged")

    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["customer_id"] == customer["customer_id"] for v in values(records)))
    [event] = [v for v in values(logged) if v["customer_id"] == customer["customer_id"]]
    assert (event["operator_id"], event["outcome"], event["channel"]) == (
        operator_id, "complaint", "call")
    await page.context.close()


async def test_an_unknown_caller_is_registered_during_the_call_with_a_referrer_found_by_name(
        browser: Browser, suite: Suite) -> None:
    referrer = await registered(suite, full_name="Ксения Воронцова", phone=new_phone())
    page, _, extension = await operator_at_desk(browser, suite, "Ivan Sokolov")
    phone, call_id = new_phone(), f"call-{uuid.uuid4().hex[:8]}"

    await pbx(suite, call_id, "ringing", phone, extension)
    await expect(page.locator("#register-section")).to_be_visible()
    await expect(page.locator("#register-phone")).to_have_value(phone)
    await page.fill("#register-name", "Pavel Orlov")
    await page.fill("#referrer-input", "Воронц")
    choice = page.locator(
        f'#referrer-results li[data-customer-id="{referrer["customer_id"]}"] button')
    await choice.click()
    await expect(page.locator("#register-referred-by")).to_have_value(referrer["customer_id"])
    await expect(page.locator("#referrer-chosen")).to_contain_text("Ксения Воронцова")
    await page.click("#register-submit")
    await expect(page.locator("#card-name")).to_have_text("Pavel Orlov")

    await pbx(suite, call_id, "answered", phone, extension)
    await pbx(suite, call_id, "ended", phone, extension)
    banner = page.locator("#call-banner")
    await expect(banner).to_have_attribute("data-state", "ended")
    await expect(page.locator("#call-outcome button").first).to_be_focused()
    await page.keyboard.press("1")  # after-call work: purchase
    await expect(banner).to_have_attribute("data-state", "logged")
    await expect(page.locator("#call-logged")).to_be_visible()

    async with suite.client("registry") as client:
        customer = (await client.get(f"/api/callers/{phone}")).json()
        stored = (await client.get(f"/api/customers/{customer['customer_id']}")).json()
    assert stored["referred_by"] == referrer["customer_id"]
    await page.context.close()


async def test_search_notes_and_the_whole_history_from_the_keyboard(
        browser: Browser, suite: Suite) -> None:
    customer = await registered(suite, full_name="Дарья Мельникова", phone=new_phone(),
                                email=f"d.{uuid.uuid4().hex[:6]}@example.org")
    async with suite.client("registry") as client:
        for questions in range(7):
            await client.post("/api/interactions", json={
                "customer_id": customer["customer_id"], "channel": "chat",
                "outcome": "info", "questions": questions})
    page, _, _ = await operator_at_desk(browser, suite, "Nina Belova", "ru")

    await page.locator("body").press("/")
    await expect(page.locator("#search-input")).to_be_focused()
    await page.keyboard.type("Мельник")
    await page.keyboard.press("Enter")
    result = page.locator(
        f'#search-results li[data-customer-id="{customer["customer_id"]}"] button')
    await expect(result).to_be_visible()
    await result.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#card-name")).to_have_text("Дарья Мельникова")

    await page.fill("#note-text", "Просит звонить после 18:00")
    await page.click("#note-submit")
    await expect(page.locator("#card-notes li").first).to_contain_text("Просит звонить после 18:00")
    await expect(page.locator("#card-notes li").first).to_contain_text("Nina Belova")

    await page.click("#history-load")
    await expect(page.locator("#history-list li")).to_have_count(7)
    await expect(page.locator("#history-more")).to_be_hidden()
    await screenshot(page, "21-search-notes-history")
    await page.context.close()
