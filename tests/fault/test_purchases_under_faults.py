"""Purchases streamed while loyalty and notify are killed with SIGKILL and lose their
database for a while, with producer-side duplicates mixed in: every balance and value
equals a recomputation from the input, every purchase gets exactly one loyalty update and
exactly one survey decision, and consumer lag returns to zero."""

import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.fault
CUSTOMERS = 60
PURCHASES = 2400
DUPLICATES = 150


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("purchase-faults"),
                    services=["loyalty", "notify"],
                    env={"CRM_FAULTS_ENABLED": "true", "CRM_QUIET_HOURS": "off"})
    await running.start()
    yield running
    await running.stop()


def event(body: dict[str, object]) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()),
                       "occurred_at": "2026-11-23T09:15:00Z", **body}).encode()


async def kill_and_wait(suite: Suite, service: str, figures: dict[str, object]) -> None:
    assert suite.supervisor is not None
    killed_at = time.monotonic()
    suite.supervisor.kill(service, signal.SIGKILL)
    await asyncio.sleep(0.5)
    await suite.wait_ready(service, timeout_s=90, consuming=False)
    figures[f"{service} kill to HTTP ready (s)"] = round(time.monotonic() - killed_at, 1)
    await suite.wait_ready(service, timeout_s=90)
    figures[f"{service} kill to consuming again (s)"] = round(time.monotonic() - killed_at, 1)


async def outage(suite: Suite, service: str, seconds: float) -> None:
    async with suite.client(service, role="admin") as admin:
        response = await admin.post("/admin/faults", json={"database_unavailable_s": seconds})
    assert response.status_code == 200


async def test_purchases_are_counted_exactly_once_through_kills_and_outages(
    suite: Suite,
) -> None:
    rng = random.Random(20261123)
    run = uuid.uuid4().hex[:4]
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5)
    await producer.start()
    cards = {f"p{run}-{n:03d}": f"77{run}{n:04d}" for n in range(CUSTOMERS)}
    for n, (customer_id, card) in enumerate(cards.items()):
        await producer.send(topics.CUSTOMER_REGISTERED, event({
            "customer_id": customer_id, "full_name": f"Oleg Petrov {n}",
            "phone": f"+7926{run_digits(run)}{n:03d}", "country": "RU", "language": "ru",
            "person_type": "individual", "category": "ordinary", "card_number": card,
            "entered_by": "operator"}), key=customer_id.encode())
    await producer.flush()

    expected_value: dict[str, Decimal] = dict.fromkeys(cards, Decimal(0))
    expected_count: dict[str, int] = dict.fromkeys(cards, 0)
    sent: list[tuple[bytes, bytes]] = []
    figures: dict[str, object] = {}
    faults = {
        PURCHASES // 5: lambda: kill_and_wait(suite, "loyalty", figures),
        2 * PURCHASES // 5: lambda: kill_and_wait(suite, "notify", figures),
        3 * PURCHASES // 5: lambda: outage(suite, "loyalty", 3),
        4 * PURCHASES // 5: lambda: outage(suite, "notify", 3),
    }
    try:
        for n in range(PURCHASES):
            customer_id = rng.choice(list(cards))
            amount = Decimal(rng.randint(100, 500_000)) / 100
            expected_value[customer_id] += amount
            expected_count[customer_id] += 1
            record = (customer_id.encode(), event({
                "purchase_id": f"{customer_id}-{n:05d}", "customer_id": customer_id,
                "amount": str(amount), "currency": "RUB", "discounted": rng.random() < 0.3,
                "payment_method": "card", "employee_id": f"e-{n % 7}"}))
            sent.append(record)
            await producer.send(topics.PURCHASE_RECORDED, record[1], key=record[0])
            if n in faults:
                await producer.flush()
                await faults[n]()
            if n % 100 == 0:
                await producer.flush()
                await asyncio.sleep(0.05)
        for key, value in rng.sample(sent, DUPLICATES):  # a producer that retried
            await producer.send(topics.PURCHASE_RECORDED, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    stream_end = time.monotonic()

    async with suite.client("loyalty", role="analyst") as loyalty:
        async def balances_settled() -> bool:
            for customer_id, card in cards.items():
                response = await loyalty.get(f"/api/loyalty/cards/{card}")
                if response.status_code != 200:
                    return False
                view = response.json()
                if (Decimal(view["value_lifetime"]) != expected_value[customer_id]
                        or view["purchase_count"] != expected_count[customer_id]):
                    return False
            return True

        await eventually(balances_settled, timeout_s=240, interval_s=1,
                         what="every balance to equal the recomputation")
        figures["time from end of stream to balances settled (s)"] = round(
            time.monotonic() - stream_end, 1)
        views = {c: (await loyalty.get(f"/api/loyalty/cards/{card}")).json()
                 for c, card in cards.items()}

    updates = await suite.read(topics.LOYALTY_UPDATED, timeout_s=60, until=lambda rs: len(
        {v["event_id"] for v in values(rs)}) >= PURCHASES)
    distinct = {v["event_id"]: v for v in values(updates)}
    points: dict[str, int] = dict.fromkeys(cards, 0)
    for update in distinct.values():
        points[update["customer_id"]] += update["points_delta"]

    surveys = await suite.read(topics.NOTIFICATION_SENT, timeout_s=120, until=lambda rs: len(
        {v["notification_id"] for v in values(rs) if v["kind"] == "quality_survey"})
        >= PURCHASES)
    survey_ids = {v["notification_id"] for v in values(surveys) if v["kind"] == "quality_survey"}

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", "lag", stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        env=dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=suite.bootstrap))
    _, lag = await process.communicate()

    figures.update({
        "purchases sent": PURCHASES, "duplicates re-sent": DUPLICATES,
        "loyalty.updated distinct": len(distinct),
        "loyalty.updated redelivered copies": len(values(updates)) - len(distinct),
        "balances wrong": sum(1 for c in cards if views[c]["points_balance"] != points[c]),
        "values wrong": sum(1 for c in cards
                            if Decimal(views[c]["value_lifetime"]) != expected_value[c]),
        "survey decisions (quality)": len(survey_ids),
        "consumer lag after": lag.decode().strip(),
    })
    print("\nfault figures (loyalty, notify):", json.dumps(figures, indent=2))
    assert len(distinct) == PURCHASES  # one update per purchase: none lost, none twice
    assert figures["balances wrong"] == 0 and figures["values wrong"] == 0
    assert len(survey_ids) == PURCHASES  # one survey decision per purchase
    assert "total lag 0" in figures["consumer lag after"]


def run_digits(run: str) -> str:
    return f"{int(run, 16) % 10000:04d}"
