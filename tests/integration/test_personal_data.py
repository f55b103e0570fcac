"""Personal and card data against the running suite: payment card numbers refused wherever
a card number enters (HTTP and events), analysts answered without personal fields, no 409
before the whole registration is valid, and reads of personal data limited per person."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from shared.contracts import topics
from tests.support.data import new_phone, unique
from tests.support.suite import Suite, eventually

pytestmark = pytest.mark.integration

LIMIT = 120  # personal reads per minute and person here: bursts of 20, then 2 a second
PAYMENT_CARDS = ("4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004")
PERSONAL_FIELDS = ("full_name", "phone", "email", "ip", "card_holder_name", "card_number")


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("personal"),
                    env={"CRM_PERSONAL_READS_PER_MINUTE": str(LIMIT)})
    await running.start()
    yield running
    await running.stop()


def person(**overrides: Any) -> dict[str, Any]:
    return {"full_name": "Vera Lichnaya", "phone": new_phone(), "country": "RU"} | overrides


async def register(suite: Suite, **overrides: Any) -> dict[str, Any]:
    async with suite.client("registry", role="operator") as operator:
        response = await operator.post("/api/customers", json=person(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


def refuses_a_payment_card(response: httpx.Response, number: str) -> bool:
    """A 422 that names card_number and says why, without repeating the number."""
    if response.status_code != 422:
        return False
    detail = response.json()["detail"]
    return (any("card_number" in item["loc"] and "payment card" in item["msg"]
                for item in detail)
            and number.replace(" ", "").replace("-", "") not in
            response.text.replace(" ", "").replace("-", ""))


# card data ----------------------------------------------------------------------------------

@pytest.mark.parametrize("number", PAYMENT_CARDS)
async def test_a_payment_card_number_is_refused_at_registration_and_in_a_change(
    suite: Suite, number: str,
) -> None:
    customer = await register(suite)
    async with suite.client("registry") as operator:
        registered = await operator.post("/api/customers", json=person(card_number=number))
        changed = await operator.patch(f"/api/customers/{customer['customer_id']}",
                                       json={"card_number": number})
    assert refuses_a_payment_card(registered, number), registered.text
    assert refuses_a_payment_card(changed, number), changed.text


LOYALTY_NUMBERS = {  # as scripts/demo.py, the tests and the fault tests make them
    "demo": lambda: f"77{uuid.uuid4().int % 10**10:010d}",
    "telephony test": lambda: f"77{uuid.uuid4().int % 10**8:08d}",
    "registry tests": lambda: f"L-{uuid.uuid4().hex[:10]}",
    "end-to-end test": lambda: f"99{uuid.uuid4().hex[:6]}",
}


@pytest.mark.parametrize("make", LOYALTY_NUMBERS.values(), ids=LOYALTY_NUMBERS.keys())
async def test_the_loyalty_numbers_the_demo_and_tests_use_still_register(
    suite: Suite, make: Callable[[], str],
) -> None:
    number = make()
    created = await register(suite, card_number=number)
    assert created["card_number"] == number


@pytest.mark.parametrize("number", PAYMENT_CARDS)
async def test_a_loyalty_look_up_with_a_payment_card_number_is_422_not_404(
    suite: Suite, number: str,
) -> None:
    async with suite.client("loyalty", role="admin") as loyalty:
        in_path = await loyalty.get(f"/api/loyalty/cards/{number}")
        in_body = await loyalty.post("/api/loyalty/cards/lookup", json={"card_number": number})
    assert refuses_a_payment_card(in_path, number), in_path.text
    assert refuses_a_payment_card(in_body, number), in_body.text


def event_bytes(**fields: Any) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-28T10:00:00Z",
                       **fields}).encode()


async def test_events_carrying_a_payment_card_number_are_dead_lettered_naming_the_field(
    suite: Suite,
) -> None:
    customer_id = f"c-pan-{uuid.uuid4().hex[:8]}"
    sent = {
        topics.CUSTOMER_REGISTERED: event_bytes(
            customer_id=customer_id, full_name="Pan Karta", phone=new_phone(), country="RU",
            person_type="individual", category="ordinary", entered_by="self",
            card_number="4111 1111 1111 1111"),
        topics.CUSTOMER_UPDATED: event_bytes(customer_id=customer_id, changed=["card_number"],
                                             card_number="4111111111111111"),
        topics.LOYALTY_UPDATED: event_bytes(
            customer_id=customer_id, card_number="5500-0000-0000-0004", points_delta=1,
            points_balance=1, value_month="1", value_year="1", value_lifetime="1",
            tier="standard"),
    }
    for topic, value in sent.items():
        await suite.produce(topic, value, customer_id.encode())

    for topic, consumer in ((topics.CUSTOMER_REGISTERED, "registry"),
                            (topics.CUSTOMER_REGISTERED, "loyalty"),
                            (topics.CUSTOMER_UPDATED, "loyalty"),
                            (topics.LOYALTY_UPDATED, "registry")):
        def ours(records: list[Any], consumer: str = consumer) -> list[Any]:
            return [r for r in records if r.key == customer_id.encode()
                    and dict(r.headers)["crm-dlq-consumer"].decode() == consumer]

        dead = ours(await suite.read(topics.dlq(topic), until=lambda rs: bool(ours(rs))))
        assert dead, (topic, consumer)
        headers = {k: v.decode() for k, v in dead[0].headers}
        assert (headers["crm-dlq-kind"], headers["crm-dlq-reason"]) == (
            "invalid", "card_number: value_error"), (topic, consumer)
        # The dead letter keeps the event, not the payment card number (kept nowhere).
        kept = json.loads(dead[0].value)
        assert kept["card_number"] == "[payment card number removed]", (topic, consumer)
        assert kept["customer_id"] == customer_id
        assert headers["crm-dlq-redacted"] == "payment card number"


# least exposure -----------------------------------------------------------------------------

async def test_an_analyst_reads_a_customer_without_personal_data_an_operator_with_it(
    suite: Suite,
) -> None:
    email, card = f"{unique('vera')}@example.ru", unique("LC")
    created = await register(suite, email=email, ip="5.255.255.5", card_number=card,
                             card_holder_name="VERA LICHNAYA", source="friend", language="ru")
    assert "card_holder_name" not in created
    path = f"/api/customers/{created['customer_id']}"
    async with suite.client("registry", role="analyst") as analyst:
        seen_by_analyst = await analyst.get(path)
        history = await analyst.get(f"{path}/history")
    async with suite.client("registry", role="operator") as operator:
        seen_by_operator = (await operator.get(path)).json()

    shown = seen_by_analyst.json()
    assert seen_by_analyst.status_code == 200
    assert not set(PERSONAL_FIELDS) & set(shown), shown
    for value in (created["phone"], created["phone"][2:], email, "5.255.255.5", card, "VERA",
                  "Vera"):
        assert value not in seen_by_analyst.text and value not in history.text
    assert (shown["customer_id"], shown["category"], shown["source"]) == (
        created["customer_id"], "ordinary", "friend")
    assert (seen_by_operator["phone"], seen_by_operator["email"]) == (created["phone"], email)
    assert (seen_by_operator["ip"], seen_by_operator["card_number"]) == ("5.255.255.5", card)
    assert "card_holder_name" not in seen_by_operator


async def test_a_loyalty_card_is_read_by_number_in_the_body_and_analysts_get_no_number(
    suite: Suite,
) -> None:
    card = unique("LC")
    created = await register(suite, card_number=card)
    async with suite.client("loyalty", role="operator") as operator, \
            suite.client("loyalty", role="analyst") as analyst:
        async def in_loyalty() -> httpx.Response | None:
            response = await operator.post("/api/loyalty/cards/lookup",
                                           json={"card_number": card})
            return response if response.status_code == 200 else None

        by_body = (await eventually(in_loyalty, interval_s=0.5, what="the loyalty card")).json()
        by_path = (await operator.get(f"/api/loyalty/cards/{card}")).json()
        for_analyst = await analyst.post("/api/loyalty/cards/lookup", json={"card_number": card})
    assert by_body == by_path
    assert (by_body["customer_id"], by_body["card_number"]) == (created["customer_id"], card)
    assert for_analyst.status_code == 200
    assert for_analyst.json() == {k: v for k, v in by_body.items() if k != "card_number"}
    assert card not in for_analyst.text


async def test_the_gold_report_names_customers_by_id_only(suite: Suite) -> None:
    card = unique("LC")
    created = await register(suite, card_number=card)
    async with suite.client("registry") as operator:
        bought = await operator.post("/api/purchases", json={
            "customer_id": created["customer_id"], "amount": "900000.00", "currency": "RUB",
            "payment_method": "card"})
    assert bought.status_code == 202, bought.text
    async with suite.client("loyalty", role="admin") as admin, \
            suite.client("loyalty", role="analyst") as analyst:
        async def gold() -> httpx.Response | None:
            await admin.post("/api/loyalty/jobs/tiers/run")
            report = await analyst.get("/api/analytics/gold")
            return report if created["customer_id"] in report.text else None

        report = await eventually(gold, interval_s=0.5, what="the customer among the gold")
        lapsed = await analyst.get("/api/analytics/lapsed")
    assert card not in report.text
    assert not any("card_number" in row for row in report.json()["customers"])
    assert lapsed.status_code == 200 and "card_number" not in lapsed.text


async def test_an_analyst_reads_a_score_without_the_famous_name(suite: Suite) -> None:
    created = await register(suite, full_name="Alexander Pushkin")
    path = f"/api/scores/{created['customer_id']}"
    async with suite.client("scoring", role="analyst") as analyst, \
            suite.client("scoring", role="operator") as operator:
        async def scored() -> httpx.Response | None:
            response = await analyst.get(path)
            return response if response.status_code == 200 else None

        for_analyst = await eventually(scored, what="the score")
        explained = await analyst.get(f"{path}/explain")
        for_operator = await operator.get(path)
    assert for_analyst.json()["reasons"][0]["code"] == "famous_name"
    assert "Pushkin" not in for_analyst.text and "Pushkin" not in explained.text
    assert "Pushkin" in for_operator.text


# no oracle ----------------------------------------------------------------------------------

async def test_a_known_phone_gets_409_only_once_the_rest_of_the_registration_is_valid(
    suite: Suite,
) -> None:
    card = unique("LC")
    first = await register(suite, card_number=card)
    phone = first["phone"]
    async with suite.client("registry") as operator:
        invalid = [await operator.post("/api/customers", json=person(phone=phone, **change))
                   for change in ({"category": "no-such-category"},
                                  {"referred_by": "c-nobody"},
                                  {"email": "not-an-email"},
                                  {"card_number": "4111111111111111"},
                                  {"card_number": card, "referred_by": "c-nobody"})]
        taken_phone = await operator.post("/api/customers", json=person(phone=phone))
        taken_card = await operator.post("/api/customers", json=person(card_number=card))
    for response in invalid:
        assert response.status_code == 422, response.text
        assert first["customer_id"] not in response.text
    assert taken_phone.status_code == 409
    assert taken_phone.json()["detail"] == {"message": "this phone number is already registered",
                                            "customer_id": first["customer_id"]}
    assert taken_card.status_code == 409
    assert first["customer_id"] not in taken_card.text


# rate limits (last: they spend two people's reads) -------------------------------------------

async def test_reads_of_personal_data_are_limited_per_person_across_endpoints(
    suite: Suite,
) -> None:
    card = unique("LC")
    created = await register(suite, card_number=card)
    customer = f"/api/customers/{created['customer_id']}"
    tokens = []
    for name in ("Scraper", "Colleague"):
        login = unique(name.lower())
        await suite.create_person(login, f"{name} Operator")
        tokens.append(await suite.sign_in(login))
    scraper, colleague = tokens

    async with suite.client_with("registry", scraper) as registry:
        paths = [customer, f"{customer}/history", f"{customer}/activity", f"{customer}/notes"]
        answers = await asyncio.gather(*(registry.get(paths[n % 4]) for n in range(2 * LIMIT // 6)))
    async with suite.client_with("registry", colleague) as registry:
        unaffected = await registry.get(customer)
    async with suite.client_with("loyalty", scraper) as loyalty:
        async def in_loyalty() -> bool:
            return (await loyalty.post("/api/loyalty/cards/lookup",
                                       json={"card_number": card})).status_code == 200

        await eventually(in_loyalty, interval_s=1, what="the card in loyalty")
        cards = await asyncio.gather(*(loyalty.get(f"/api/loyalty/cards/{card}")
                                       for _ in range(2 * LIMIT // 6)))
    async with suite.client("notify", role="admin") as notify:
        outboxes = await asyncio.gather(*(notify.get("/api/outbox")
                                          for _ in range(2 * LIMIT // 6)))

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) >= LIMIT // 6 - 1 and 429 in statuses, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert "personal data" in refused.json()["detail"]
    # Ten reads of each endpoint, within a burst of twenty: refused only if they share it.
    assert {path for path, answer in zip(paths * LIMIT, answers, strict=False)
            if answer.status_code == 429} == set(paths)
    assert unaffected.status_code == 200
    assert 429 in [answer.status_code for answer in cards]
    assert {answer.status_code for answer in outboxes} == {200, 429}
