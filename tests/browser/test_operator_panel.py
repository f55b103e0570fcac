"""The operator panel in a real browser against the running suite."""

import random
import re

import pytest
from playwright.async_api import Browser, Page, expect

from services.registry.domain.advice import CATEGORY_ADVICE, SEGMENT_ADVICE
from services.registry.domain.reasons import REASON_TEXT
from shared.contracts import topics
from shared.currencies import valued
from tests.browser.conftest import PEOPLE, screenshot, sign_in, signed_in_panel
from tests.support.suite import PASSWORD, Suite, eventually, values

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


async def test_the_source_is_chosen_from_the_list_by_its_title_and_stored_as_the_slug(
        page: Page, suite: Suite) -> None:
    await page.click("#lang-ru")
    digits = new_digits()
    await look_up(page, spoken(digits))
    source = page.locator("#register-source")
    await expect(source.locator("option").first).to_have_text("Не спрашивали")
    await expect(source).to_have_value("")
    await page.fill("#register-name", "Olga Smirnova")
    await page.select_option("#register-source", label="Друг, знакомый")
    await page.click("#lang-fa")  # the titles follow the language; the choice stays
    await expect(source.locator("option:checked")).to_have_text("معرفی دوست")
    await page.click("#register-submit")
    await expect(page.locator("#card")).to_be_visible()
    async with suite.client("registry", role="admin") as admin:
        card = (await admin.get(f"/api/callers/+7{digits}")).json()
        stored = (await admin.get(f"/api/customers/{card['customer_id']}")).json()
    assert stored["source"] == "friend"
    await page.click("#lang-en")


async def test_the_persian_card_gives_its_reasons_and_advice_in_persian(
        page: Page, suite: Suite) -> None:
    await page.click("#lang-fa")
    digits = new_digits()
    await look_up(page, spoken(digits))
    await page.fill("#register-name", "John Doe")  # a placeholder (Ivan Ivanov: common_name)
    await page.select_option("#register-person-type", "company")
    await page.select_option("#register-category", "vip")
    await page.click("#register-submit")
    await expect(page.locator("#card")).to_be_visible()

    reason = page.locator('#risk-reasons li[data-code="placeholder_name"]')
    await expect(reason).to_have_text(REASON_TEXT["placeholder_name"]["fa"], timeout=15_000)
    await expect(reason).to_have_attribute("title", re.compile(r"placeholder \(John Doe\)"))
    advice = page.locator("#card-advice")
    await expect(advice.locator("li[data-advice=category]")).to_have_text(
        CATEGORY_ADVICE["vip"]["fa"])

    # A company's segment comes from scoring's behaviour types, an event after the score.
    async with suite.client("registry", role="admin") as admin:
        async def segmented() -> bool:
            card = (await admin.get(f"/api/callers/+7{digits}")).json()
            return card.get("segment") == "company"
        await eventually(segmented, what="the company segment on the card")
    await look_up(page, spoken(digits))
    await expect(advice.locator("li[data-advice=segment]")).to_have_text(
        SEGMENT_ADVICE["company"]["fa"])
    # The stripe sits at the start of the line, which on a Persian page is the right.
    stripe = await advice.evaluate(
        "node => [getComputedStyle(node).borderRightWidth, getComputedStyle(node).borderLeftWidth]")
    assert stripe == ["4px", "0px"]
    await screenshot(page, "08-persian-reasons-and-advice")

    await page.click("#lang-ru")
    await expect(reason).to_have_text(REASON_TEXT["placeholder_name"]["ru"])
    await expect(advice.locator("li[data-advice=category]")).to_have_text(
        CATEGORY_ADVICE["vip"]["ru"])
    await expect(advice.locator("li[data-advice=segment]")).to_have_text(
        SEGMENT_ADVICE["company"]["ru"])


async def test_a_wrong_password_is_told_and_the_password_is_never_kept(
        browser: Browser, suite: Suite) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(suite.url("registry") + "/")
    await page.fill("#login-input", PEOPLE["anna"][0])
    await page.fill("#password-input", "not her password")
    await page.click("#sign-in-button")
    await expect(page.locator("#error")).to_have_text("Wrong login or password.")
    await expect(page.locator("#password-input")).to_have_value("")
    await sign_in(page, PEOPLE["anna"][0])
    stored = await page.evaluate("JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
    assert PASSWORD not in stored and "token" in stored
    await context.close()


async def test_two_people_sign_in_as_themselves_and_their_work_is_theirs(
        browser: Browser, suite: Suite) -> None:
    anna = await signed_in_panel(browser, suite, "anna")
    reza = await signed_in_panel(browser, suite, "reza")
    await expect(anna.locator("#session-name")).to_have_text("Anna Petrova")
    await expect(reza.locator("#session-name")).to_have_text("Reza Ahmadi")
    await expect(reza.locator("#session-role")).to_have_attribute("data-role", "operator")
    await screenshot(reza, "06-signed-in-as-a-person")

    digits = new_digits()
    await register_through_the_form(anna, digits, "Kira Orlova")
    await look_up(reza, spoken(digits))
    await expect(reza.locator("#card-name")).to_have_text("Kira Orlova")
    await reza.select_option("#interaction-outcome", "info")
    await reza.click("#interaction-submit")
    await expect(reza.locator("#last-interactions li[data-interaction-id]")).to_have_count(1)

    people = suite.people  # type: ignore[attr-defined]
    async with suite.client("registry", role="admin") as admin:
        card = (await admin.get(f"/api/callers/+7{digits}")).json()
        history = (await admin.get(f"/api/customers/{card['customer_id']}/history")).json()
    assert history["entries"][-1]["by"] == people["anna"]["operator_id"]
    assert history["entries"][-1]["by_name"] == "Anna Petrova"
    interactions = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["customer_id"] == card["customer_id"] for v in values(records)))
    [logged] = [v for v in values(interactions) if v["customer_id"] == card["customer_id"]]
    assert logged["operator_id"] == people["reza"]["operator_id"]
    for page in (anna, reza):
        await page.context.close()


async def test_an_ended_session_asks_to_sign_in_again_and_keeps_the_card(page: Page) -> None:
    digits = new_digits()
    await register_through_the_form(page, digits, "Lev Sokolov")
    # The session ends server-side (its token no longer verifies) while the card is open.
    await page.evaluate("""() => {
        const session = JSON.parse(sessionStorage.getItem("crm-session"));
        session.token = session.token.slice(0, -4) + "AAAA";
        sessionStorage.setItem("crm-session", JSON.stringify(session));
    }""")
    await page.fill("#purchase-amount", "10.00")
    await page.click("#purchase-submit")
    await expect(page.locator("#error")).to_contain_text("Your session has ended")
    await expect(page.locator("#sign-in-form")).to_be_visible()
    await expect(page.locator("#card-name")).to_have_text("Lev Sokolov")
    await page.fill("#password-input", PASSWORD)  # the login is still filled in
    await page.click("#sign-in-button")
    await expect(page.locator("#session-status")).to_be_visible()
    await expect(page.locator("#card-name")).to_have_text("Lev Sokolov")


async def test_signing_out_forgets_the_session(page: Page) -> None:
    await page.click("#logout-button")
    await expect(page.locator("#sign-in-form")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('crm-session')") is None
    await look_up(page, spoken(new_digits()))
    await expect(page.locator("#error")).to_have_text("Sign in first.")

async def test_an_admin_creates_a_person_in_the_panel_who_signs_in_and_is_disabled(
        browser: Browser, suite: Suite) -> None:
    admin = await signed_in_panel(browser, suite, "olga")
    await expect(admin.locator("#people-section")).to_be_visible()
    login = f"kira{random.randrange(10**6):06d}"
    await admin.click("#people-section summary")
    await admin.fill("#person-name", "Kira Orlova")
    await admin.fill("#person-login", login)
    await admin.select_option("#person-role", "operator")
    await admin.fill("#person-password", PASSWORD)
    await admin.fill("#person-name-ru", "Кира Орлова")
    await admin.click("#person-submit")
    await expect(admin.locator("#message")).to_have_text("Account created.")
    row = admin.locator("#people-list tr", has_text=login)
    await expect(row).to_have_attribute("data-active", "true")
    await screenshot(admin, "07-people-for-admins")

    kira_context = await browser.new_context()
    kira = await kira_context.new_page()
    await kira.goto(suite.url("registry") + "/")
    await sign_in(kira, login)
    await expect(kira.locator("#session-name")).to_have_text("Kira Orlova")
    await expect(kira.locator("#people-section")).to_be_hidden()  # not an admin

    await row.locator("button[data-action=toggle]").click()
    await expect(row).to_have_attribute("data-active", "false")
    await look_up(kira, spoken(new_digits()))
    await expect(kira.locator("#error")).to_contain_text("Your session has ended")
    await expect(kira.locator("#sign-in-form")).to_be_visible()
    await kira_context.close()
    await admin.context.close()


async def test_an_admin_erases_the_customer_on_the_card_and_the_number_is_unknown_again(
        browser: Browser, suite: Suite, page: Page) -> None:
    digits = new_digits()
    await register_through_the_form(page, digits, "Erik Stiratelev")
    await expect(page.locator("#erase-form")).to_be_hidden()  # operators may not erase

    admin = await signed_in_panel(browser, suite, "olga")
    await look_up(admin, spoken(digits))
    await expect(admin.locator("#card-name")).to_have_text("Erik Stiratelev")
    await expect(admin.locator("#erase-form")).to_be_visible()
    await admin.fill("#erase-reason", "the customer's request")
    await admin.click("#erase-submit")  # not without the confirmation
    await expect(admin.locator("#card")).to_be_visible()
    await admin.check("#erase-confirm")
    await admin.click("#erase-submit")
    await expect(admin.locator("#message")).to_have_text("The customer is erased.")
    await expect(admin.locator("#card")).to_be_hidden()

    await look_up(page, spoken(digits))  # the operator's next look-up: nobody by that number
    await expect(page.locator("#register-section")).to_be_visible()
    await admin.context.close()


async def test_the_purchase_form_shows_and_records_the_price_after_the_employee_discount(
    page: Page,
) -> None:
    await register_through_the_form(page, new_digits(), "Elena Sokolova")
    await page.select_option("#category-select", "employee")
    await page.click("#category-save")
    await expect(page.locator("#card-category")).to_have_attribute("data-slug", "employee")

    to_pay = page.locator("#purchase-to-pay")
    await expect(to_pay).to_be_hidden()
    await page.fill("#purchase-amount", "1234.50")  # the list price
    await expect(to_pay).to_be_visible()
    await expect(to_pay).to_have_text("To pay: 987.60 RUB after the 20% discount of Employee")
    await screenshot(page, "13-employee-discount-in-the-purchase-form")
    await page.click("#purchase-submit")
    purchases = page.locator("#last-purchases li[data-purchase-id]")
    await expect(purchases).to_have_count(1)
    await expect(purchases.first).to_contain_text("987.60 RUB")
    await expect(to_pay).to_be_hidden()

    await page.click("#lang-ru")
    await page.fill("#purchase-amount", "100")
    await expect(to_pay).to_have_text(re.compile(r"^К оплате: 80\.00 RUB со скидкой 20%"))


async def test_a_purchase_on_the_card_is_refunded_in_part_from_its_refund_action(
    page: Page,
) -> None:
    await register_through_the_form(page, new_digits(), "Pavel Orlov")
    # The currency field offers exactly the currencies the suite values.
    offered = page.locator("#purchase-currencies option")
    await expect(offered).to_have_count(len(valued()))
    await expect(page.locator("#purchase-currencies option[value=KZT]")).to_have_count(1)
    await page.fill("#purchase-amount", "1000.00")
    await page.fill("#purchase-currency", "EUR")
    await page.click("#purchase-submit")
    purchases = page.locator("#last-purchases li[data-purchase-id]")
    await expect(purchases).to_have_count(1)
    await expect(page.locator("#points-balance")).to_have_text("1000", timeout=15_000)
    # the value in the value currency, to its minor unit with grouped digits
    await expect(page.locator("#value-lifetime")).to_have_text("100,000.00 RUB")

    await purchases.first.locator("button[data-action=refund]").click()
    await expect(page.locator("#purchase-form")).to_have_attribute("data-mode", "refund")
    await expect(page.locator("#purchase-amount")).to_have_value("-1000.00")
    await expect(page.locator("#purchase-currency")).to_have_value("EUR")
    await expect(page.locator("#purchase-refund-of")).to_have_attribute(
        "data-purchase-id", await purchases.first.get_attribute("data-purchase-id") or "")
    await expect(page.locator("#purchase-refund-of")).to_contain_text("1000.00 EUR")
    await page.fill("#purchase-amount", "-250.00")  # a partial refund
    await screenshot(page, "14-partial-refund-from-the-card")
    await page.click("#purchase-submit")

    await expect(purchases).to_have_count(2)
    refund = purchases.filter(has_text="-250.00 EUR")
    await expect(refund).to_contain_text("refund")
    await expect(refund.locator("button[data-action=refund]")).to_have_count(0)
    await expect(page.locator("#points-balance")).to_have_text("750", timeout=15_000)
    await expect(page.locator("#purchase-form")).not_to_have_attribute("data-mode", "refund")
    await expect(page.locator("#purchase-currency")).to_have_value("RUB")


async def test_points_are_spent_from_the_card_in_two_keystrokes_and_never_below_zero(
    page: Page,
) -> None:
    await register_through_the_form(page, new_digits(), "Irina Volkova")
    await page.fill("#purchase-amount", "1000.00")
    await page.fill("#purchase-currency", "EUR")
    await page.click("#purchase-submit")
    balance = page.locator("#points-balance")
    await expect(balance).to_have_text("1000", timeout=15_000)

    await page.locator("#card-name").click()  # nothing typed into: R is the panel's key
    await page.keyboard.press("r")
    await expect(page.locator("#redeem-points")).to_be_focused()
    await expect(page.locator("#redeem-points")).to_have_value("1000")
    await page.keyboard.type("400")  # replaces the selected whole balance
    await page.keyboard.press("Enter")
    await expect(page.locator("#message")).to_have_text("Spent 400 points. Balance: 600.")
    await expect(balance).to_have_text("600")

    await page.fill("#redeem-points", "1000")  # more than is left: loyalty refuses
    await page.click("#redeem-submit")
    await expect(page.locator("#error")).to_contain_text("balance")
    await expect(balance).to_have_text("600")
    await screenshot(page, "15-points-spent-from-the-card")

    await page.locator("#card-name").click()
    await page.keyboard.press("r")  # the two keystrokes: R, Enter
    await page.keyboard.press("Enter")
    await expect(page.locator("#message")).to_have_text("Spent 600 points. Balance: 0.")
    await expect(balance).to_have_text("0")
    # the card lists what was spent (from crm.points.redeemed.v1), newest first
    spent = page.locator("#last-redemptions li[data-redemption-id]")
    await expect(spent).to_have_count(2, timeout=10_000)
    await expect(spent.first).to_contain_text("600 points spent, 0 left")


async def test_the_operator_thanks_a_customer_from_the_card_and_the_card_lists_it(
    page: Page,
) -> None:
    await register_through_the_form(page, new_digits(), "Tatiana Orlova")
    thanks = page.locator("#thank-yous li[data-thank-you-id]")
    await expect(page.locator("#thank-yous")).to_contain_text("No thank-yous yet.")

    await page.locator("#card-name").click()  # nothing typed into: T is the panel's key
    await page.keyboard.press("t")
    await expect(page.locator("#thank-reason")).to_be_focused()
    await page.select_option("#thank-reason", "complaint_resolved")
    await page.fill("#thank-points", "50")
    await page.fill("#thank-note", "The parcel came a week late")
    await page.press("#thank-note", "Enter")
    await expect(page.locator("#message")).to_have_text(
        "Thank-you sent with 50 bonus points.")
    await expect(thanks).to_have_count(1)
    await expect(thanks.first).to_contain_text(
        "Complaint resolved · +50 points · Anna Petrova · SMS")
    await expect(thanks.first.locator("q")).to_have_text("The parcel came a week late")
    await expect(thanks.first).to_have_attribute("data-automatic", "false")
    # loyalty credits the bonus, through events, to the card (the SMS waits for the
    # customer's daytime, so its fate is checked by the integration test)
    await expect(page.locator("#points-balance")).to_have_text("50", timeout=15_000)
    await expect(page.locator("#thank-points")).to_have_value("")

    await page.fill("#thank-points", "100000")  # above the cap: refused, nothing sent
    await page.click("#thank-submit")
    await expect(page.locator("#error")).to_contain_text("bonus_points")
    await expect(thanks).to_have_count(1)
    await screenshot(page, "16-thank-you-from-the-card")
