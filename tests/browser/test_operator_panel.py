"""The operator panel in a real browser against the running suite."""

import random
import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.support.suite import Suite

pytestmark = pytest.mark.browser


def new_digits() -> str:
    """Ten digits of a fresh Russian mobile number, without the country code."""
    return f"916{random.randrange(10**7):07d}"


def spoken(digits: str) -> str:
    return f"8 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def international(digits: str) -> str:
    return f"+7 ({digits[:3]}) {digits[3:6]} {digits[6:8]} {digits[8:]}"


async def look_up(page: Page, phone: str) -> None:
    await page.fill("#phone-input", phone)
    await page.press("#phone-input", "Enter")


async def register_through_the_form(page: Page, digits: str, name: str) -> None:
    await look_up(page, spoken(digits))
    await expect(page.locator("#register-section")).to_be_visible()
    await page.fill("#register-name", name)
    await page.click("#register-submit")
    await expect(page.locator("#card")).to_be_visible()


async def test_an_unknown_number_opens_the_registration_form_prefilled(page: Page) -> None:
    digits = new_digits()
    await look_up(page, spoken(digits))
    await expect(page.locator("#register-section")).to_be_visible()
    await expect(page.locator("#register-phone")).to_have_value(spoken(digits))
    await expect(page.locator("#register-country")).to_have_value("RU")
    await expect(page.locator("#register-category")).to_have_value("ordinary")
    await expect(page.locator("#card")).to_be_hidden()
    await screenshot(page, "01-unknown-number-registration-form")


async def test_a_registered_caller_is_scored_and_found_again_in_another_notation(
    page: Page,
) -> None:
    digits = new_digits()
    await register_through_the_form(page, digits, "Anna Petrova")
    await expect(page.locator("#card-name")).to_have_text("Anna Petrova")
    await expect(page.locator("#card-phone")).to_have_text(f"+7{digits}")
    band = page.locator("#risk-band")
    await expect(band).to_have_attribute("data-band", re.compile(r"^(low|medium|high)$"),
                                  timeout=15_000)
    await screenshot(page, "02-registered-card-with-risk")

    await page.keyboard.press("Escape")
    await expect(page.locator("#card")).to_be_hidden()
    await look_up(page, international(digits))
    await expect(page.locator("#card-name")).to_have_text("Anna Petrova")
    await expect(page.locator("#card-phone")).to_have_text(f"+7{digits}")
    await screenshot(page, "03-found-again-in-another-notation")


async def test_the_operator_changes_the_category_and_records_a_purchase(page: Page) -> None:
    digits = new_digits()
    await register_through_the_form(page, digits, "Boris Volkov")

    await page.select_option("#category-select", "problematic")
    await page.click("#category-save")
    await expect(page.locator("#card-category")).to_have_attribute("data-slug", "problematic")
    await expect(page.locator("#payment-policy")).to_have_attribute("data-policy", "prepaid_only")

    await page.fill("#purchase-amount", "1250.00")
    await page.click("#purchase-submit")
    purchases = page.locator("#last-purchases li[data-purchase-id]")
    await expect(purchases).to_have_count(1)
    await expect(purchases.first).to_contain_text("1250.00 RUB")

    await page.select_option("#interaction-outcome", "purchase")
    await page.click("#interaction-submit")
    await expect(page.locator("#last-interactions li[data-interaction-id]")).to_have_count(1)
    await screenshot(page, "04-category-purchase-interaction")


async def test_persian_reads_right_to_left(page: Page, suite: Suite) -> None:
    digits = new_digits()
    await register_through_the_form(page, digits, "Sara Ahmadi")
    await page.click("#lang-fa")
    assert await page.evaluate("document.dir") == "rtl"
    assert await page.evaluate("document.documentElement.lang") == "fa"
    await expect(page.locator("#lookup-button")).to_have_text("جستجو")
    await expect(page.locator("#purchases-heading")).to_have_text("آخرین خریدها")
    await expect(page.locator("#card-name")).to_have_text("Sara Ahmadi")
    await expect(page.locator("#card-category")).to_have_text("معمولی")
    await expect(page.locator("#message")).to_have_text("ثبت شد.")
    await screenshot(page, "05-persian-right-to-left")

    await page.click("#lang-en")
    assert await page.evaluate("document.dir") == "ltr"


async def test_a_wrong_token_is_told_to_sign_in_again(page: Page) -> None:
    await page.click("#logout-button")
    await page.fill("#token-input", "not-a-token")
    await page.click("#token-save")
    await look_up(page, spoken(new_digits()))
    await expect(page.locator("#error")).to_contain_text("not accepted")
    await expect(page.locator("#token-form")).to_be_visible()
