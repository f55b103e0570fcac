"""Purchases streamed while loyalty and notify are killed with SIGKILL and lose their
database for a while, with producer-side duplicates and redemptions through the API mixed
in: every balance and value equals a recomputation from the input, every purchase and every
accepted redemption gets exactly one loyalty update, every purchase exactly one survey
decision, no balance goes below zero, and consumer lag returns to zero."""

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
from tests.support.purchases import (
    Expected,
    Redemptions,
    register,
    settled_cards,
    stream_purchases,
)
from tests.support.suite import Suite, values

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
    expected = Expected({f"p{run}-{n:03d}": f"77{run}{n:04d}" for n in range(CUSTOMERS)})
    cards = expected.cards
    figures: dict[str, object] = {}
    faults = {
        PURCHASES // 5: lambda: kill_and_wait(suite, "loyalty", figures),
        2 * PURCHASES // 5: lambda: kill_and_wait(suite, "notify", figures),
        3 * PURCHASES // 5: lambda: outage(suite, "loyalty", 3),
        4 * PURCHASES // 5: lambda: outage(suite, "notify", 3),
    }
    redemptions, streamed = Redemptions(), asyncio.Event()
    try:
        await register(producer, cards, "Oleg Petrov", f"+7926{run_digits(run)}")
        spending = asyncio.create_task(redemptions.run(
            suite, list(cards), random.Random(rng.random()), run, streamed))
        try:
            await stream_purchases(producer, expected, PURCHASES, rng, faults, DUPLICATES,
                                   discounted_share=0.3)
        finally:
            streamed.set()
            await spending
    finally:
        await producer.stop()
    stream_end = time.monotonic()
    views = await settled_cards(suite, expected, timeout_s=240)
    figures["time from end of stream to balances settled (s)"] = round(
        time.monotonic() - stream_end, 1)

    wanted = PURCHASES + len(redemptions.accepted)
    updates = await suite.read(topics.LOYALTY_UPDATED, timeout_s=60, until=lambda rs: len(
        {v["event_id"] for v in values(rs) if v["customer_id"] in cards}) >= wanted)
    distinct = {v["event_id"]: v for v in values(updates) if v["customer_id"] in cards}
    points: dict[str, int] = dict.fromkeys(cards, 0)
    for update in distinct.values():
        points[update["customer_id"]] += update["points_delta"]
    redeemed = await suite.read(topics.POINTS_REDEEMED, timeout_s=30, until=lambda rs: len(
        {v["redemption_id"] for v in values(rs)} & set(redemptions.accepted))
        >= len(redemptions.accepted))
    published = {v["redemption_id"]: (v["customer_id"], v["points"]) for v in values(redeemed)
                 if v["customer_id"] in cards}

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
        "redemptions accepted": len(redemptions.accepted),
        "redemptions refused (by status)": dict(redemptions.refused),
        "redemption requests retried (loyalty down)": redemptions.retries,
        "redemptions answered as repeats after a retry": redemptions.repeats_answered_200,
        "loyalty.updated distinct": len(distinct),
        "loyalty.updated redelivered copies": len(values(updates)) - len(distinct),
        "balances wrong": sum(1 for c in cards if views[c]["points_balance"] != points[c]),
        "balances below zero on the way": sum(
            1 for update in distinct.values() if update["points_balance"] < 0),
        "values wrong": sum(1 for c in cards
                            if Decimal(views[c]["value_lifetime"]) != expected.value[c]),
        "survey decisions (quality)": len(survey_ids),
        "consumer lag after": lag.decode().strip(),
    })
    print("\nfault figures (loyalty, notify):", json.dumps(figures, indent=2))
    # one update per purchase and per accepted redemption: none lost, none twice
    assert len(distinct) == wanted
    assert figures["balances wrong"] == 0 and figures["values wrong"] == 0
    assert figures["balances below zero on the way"] == 0
    assert redemptions.accepted, "no redemption was accepted: the mix tested nothing"
    assert published == redemptions.accepted  # each accepted one published, with its points
    # the stream has no refunds: every negative update is a redemption, each counted once
    spent = {c: sum(-u["points_delta"] for u in distinct.values()
                    if u["customer_id"] == c and u["points_delta"] < 0) for c in cards}
    assert spent == {c: redemptions.points(c) for c in cards}
    assert len(survey_ids) == PURCHASES  # one survey decision per purchase
    assert "total lag 0" in figures["consumer lag after"]


def run_digits(run: str) -> str:
    return f"{int(run, 16) % 10000:04d}"
