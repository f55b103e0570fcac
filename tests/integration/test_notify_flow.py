"""Notify across processes: events on Kafka -> SMS in the outbox -> replies by webhook."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.notify.domain import zone_for_phone
from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration
MONGODB_ON_REQUEST = True  # on a MongoDB server too with CRM_TEST_MONGODB=all

# Number prefixes (and how many digits follow) in zones spread around the clock.
PREFIXES = [("+7495", 7), ("+4420", 8), ("+1212", 7), ("+813", 8), ("+612", 8),
            ("+9714", 7), ("+662", 7), ("+1808", 7), ("+1213", 7)]


def daytime_phone(margin: timedelta = timedelta(minutes=45)) -> str:
    """A fresh number whose time zone is well inside the 09:00-21:00 window right now."""
    now = datetime.now(UTC)
    for prefix, digits in PREFIXES:
        phone = prefix + "".join(random.choices("123456789", k=digits))
        zone = ZoneInfo(zone_for_phone(phone))
        early, late = (now - margin).astimezone(zone), (now + margin).astimezone(zone)
        if time(9) <= early.time() and late.time() < time(21) and early.date() == late.date():
            return phone
    raise AssertionError("no listed zone is in daytime now; add one to PREFIXES")


def event(**fields: Any) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()),
                       "occurred_at": datetime.now(UTC).isoformat(), **fields}).encode()


async def produce_registration(suite: Suite, customer_id: str, phone: str) -> None:
    await suite.produce(topics.CUSTOMER_REGISTERED, event(
        customer_id=customer_id, full_name="Olga Smirnova", phone=phone, country="RU",
        person_type="individual", category="ordinary", language="ru", entered_by="self",
    ), key=customer_id.encode())


async def produce_operator(suite: Suite, operator_id: str, name: str,
                           **display_names: str) -> None:
    """A person of registry's directory, as crm.operator.updated.v1 announces them."""
    await suite.produce(topics.OPERATOR_UPDATED, event(
        operator_id=operator_id, display_name=name, display_names=display_names, active=True,
        role="operator", session_version=0,
    ), key=operator_id.encode())


async def produce_purchase(suite: Suite, customer_id: str, employee_id: str) -> None:
    await suite.produce(topics.PURCHASE_RECORDED, event(
        purchase_id=f"p-{uuid.uuid4().hex[:10]}", customer_id=customer_id, amount="990.00",
        currency="RUB", discounted=False, payment_method="card", employee_id=employee_id,
    ), key=customer_id.encode())


async def outbox_for(suite: Suite, customer_id: str) -> list[dict[str, Any]]:
    async with suite.client("notify", role="admin") as client:
        response = await client.get("/api/outbox", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [m for m in response.json()["messages"] if m["customer_id"] == customer_id]


async def notifications_for(suite: Suite, customer_id: str,
                            until: Any) -> list[dict[str, Any]]:
    """The customer's quality-survey notifications (the why-us survey has its own timing)."""

    def mine(records: list[Any]) -> list[dict[str, Any]]:
        return [v for v in values(records)
                if v.get("customer_id") == customer_id and v.get("kind") == "quality_survey"]

    return mine(await suite.read(topics.NOTIFICATION_SENT, until=lambda rs: until(mine(rs))))


async def reply(suite: Suite, phone: str, text: str) -> str:
    async with suite.client("notify", role="admin") as client:
        response = await client.post("/api/sms/inbound", json={"from": phone, "text": text})
    assert response.status_code == 200, response.text
    return str(response.json()["action"])


async def test_a_purchase_is_surveyed_once_answered_and_stop_silences_the_rest(
        suite: Suite) -> None:
    customer_id, employee_id = f"c-{uuid.uuid4().hex[:12]}", f"e-{uuid.uuid4().hex[:6]}"
    phone = daytime_phone()
    await produce_operator(suite, employee_id, "Ivan Petrov", ru="Иван")
    await produce_registration(suite, customer_id, phone)
    await produce_purchase(suite, customer_id, employee_id)

    async def surveyed() -> list[dict[str, Any]]:
        return [m for m in await outbox_for(suite, customer_id)
                if m["kind"] == "quality_survey"]

    [message] = await eventually(surveyed, timeout_s=30, what="the quality survey")
    assert message["to"] == phone
    assert message["text"].startswith("Сотрудник Иван:")  # Russian, names the employee
    assert "Olga" not in message["text"] and "Smirnova" not in message["text"]
    assert phone[1:] not in message["text"] and customer_id not in message["text"]

    sent = await notifications_for(suite, customer_id, until=lambda vs: any(
        v["status"] == "sent" for v in vs))
    assert [v["status"] for v in sent] == ["sent"]
    assert sent[0]["notification_id"] == message["notification_id"]

    assert await reply(suite, phone, "5 отлично") == "answered"
    answers = await suite.read(topics.SURVEY_ANSWERED, until=lambda rs: any(
        v.get("customer_id") == customer_id for v in values(rs)))
    [answer] = [v for v in values(answers) if v.get("customer_id") == customer_id]
    assert (answer["rating"], answer["employee_id"], answer["comment"]) == (
        5, employee_id, "отлично")
    async with suite.client("notify", role="analyst") as client:
        summary = (await client.get("/api/surveys/summary")).json()
    assert {"employee_id": employee_id, "display_name": "Ivan Petrov", "responses": 1,
            "average_rating": 5.0} in summary["employees"]
    assert summary["response_rates"]["quality_survey"]["answered"] >= 1

    assert await reply(suite, phone, "СТОП") == "opted_out"
    await produce_purchase(suite, customer_id, employee_id)
    later = await notifications_for(suite, customer_id, until=lambda vs: len(vs) >= 2)
    assert (later[-1]["status"], later[-1]["reason"]) == ("suppressed", "opted_out")
    assert len(await surveyed()) == 1


async def test_a_reply_from_an_unknown_number_reveals_nothing(suite: Suite) -> None:
    assert await reply(suite, "+79991112233", "5") == "ignored"


async def test_only_the_webhook_token_or_an_admin_may_post_replies(suite: Suite) -> None:
    for role, expected in (("operator", 403), ("analyst", 403), (None, 401)):
        async with suite.client("notify", role=role) as client:
            response = await client.post("/api/sms/inbound",
                                         json={"from": "+79991112233", "text": "5"})
        assert response.status_code == expected, (role, response.text)


async def test_operators_see_neither_the_outbox_nor_the_survey_summary(suite: Suite) -> None:
    async with suite.client("notify", role="operator") as client:
        assert (await client.get("/api/outbox")).status_code == 403
        assert (await client.get("/api/surveys/summary")).status_code == 403
