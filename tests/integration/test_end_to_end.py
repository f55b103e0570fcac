"""One customer through all four services, as a call center lives it: registered at the
panel's API, scored, a purchase recorded, points earned, surveyed by SMS, the answer on
the caller card and in the summary. Then: nothing personal in any service's log."""

import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.support.suite import Suite, eventually, isolated_prefix

pytestmark = pytest.mark.integration
DATABASES = ("memory", "mongodb")  # the production path (a MongoDB server) too


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    # Quiet hours off: the survey must go out now, whatever the time of the test run.
    workdir = tmp_path_factory.mktemp("e2e")
    running = Suite(workdir, env={"CRM_QUIET_HOURS": "off"},
                    mongodb_url=mongodb_url,
                    database_prefix=isolated_prefix(workdir))
    await running.start()
    yield running
    await running.stop()


async def test_a_customer_travels_through_the_whole_suite(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:6]
    name, email, card_number = f"Zinaida Kuznetsova{tag}", f"zina.{tag}@example.ru", f"99{tag}"
    national = f"8 (915) {int(tag, 16) % 1000:03d}-{int(tag[:3], 16) % 100:02d}-77"
    async with suite.client("registry") as registry:
        created = await registry.post("/api/customers", json={
            "full_name": name, "phone": national, "country": "RU", "email": email,
            "person_type": "individual", "category": "vip", "source": "friend",
            "card_number": card_number, "language": "en", "ip": "5.255.255.5",
            "card_holder_name": name.upper()})
        assert created.status_code == 201, created.text
        customer = created.json()
        customer_id, phone = customer["customer_id"], customer["phone"]

        async def card_with(section: str, check=lambda part: True) -> dict | None:
            response = await registry.get(f"/api/callers/{phone}")
            card = response.json() if response.status_code == 200 else None
            return card if card and card.get(section) and check(card[section]) else None

        card = await eventually(lambda: card_with("risk"), what="the risk on the card")
        assert card["risk"]["band"] in {"low", "medium", "high"}

        purchase = await registry.post("/api/purchases", json={
            "customer_id": customer_id, "amount": "2500.00", "currency": "RUB",
            "discounted": False, "payment_method": "card", "employee_id": "e-olga"})
        assert purchase.status_code == 202, purchase.text
        card = await eventually(
            lambda: card_with("loyalty", lambda part: Decimal(part["value_lifetime"]) > 0),
            what="the purchase's value on the card")
        assert Decimal(card["loyalty"]["value_lifetime"]) == Decimal("2500.00")
        assert card["loyalty"]["points_balance"] > 0
        assert card["last_purchases"][0]["purchase_id"] == purchase.json()["purchase_id"]

    async with suite.client("notify", role="admin") as notify:
        async def survey_in_outbox() -> dict | None:
            rows = (await notify.get("/api/outbox", params={"limit": 100})).json()
            rows = rows if isinstance(rows, list) else rows.get("messages", rows.get("items"))
            return next((m for m in rows if m.get("to") == phone), None)

        message = await eventually(survey_in_outbox, what="the quality survey in the outbox")
        assert name not in message["text"] and email not in message["text"]
        answered = await notify.post("/api/sms/inbound",
                                     json={"from": phone, "text": "5 very helpful"})
        assert answered.status_code == 200 and answered.json()["action"] == "answered"
        summary = (await notify.get("/api/surveys/summary")).json()
        assert "e-olga" in str(summary)

    async with suite.client("registry", role="analyst") as registry:
        card = await eventually(lambda: card_with_survey(registry, phone),
                                what="the survey answer on the caller card")
    assert card["last_survey"]["rating"] == 5

    logs = suite.log_path.read_text()
    assert "GET /api/callers/{phone} 200" in logs  # the logs were captured
    digits = re.sub(r"\D", "", phone)
    for private in (name, email, digits, digits[1:], national):
        assert private not in logs, "personal data in a service log"


async def card_with_survey(registry: object, phone: str) -> dict | None:
    response = await registry.get(f"/api/callers/{phone}")  # type: ignore[attr-defined]
    card = response.json() if response.status_code == 200 else None
    return card if card and card.get("last_survey") else None
