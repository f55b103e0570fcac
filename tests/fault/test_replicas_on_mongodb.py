"""The production shape under a crash: two replicas of loyalty and two of notify in their
consumer groups, sharing their databases on a MongoDB server (SecantusDB), SMS handed to an
HTTP provider. 2,000 purchases stream in while one replica of each is killed with SIGKILL: every
balance and value equals a recomputation (none lost, none applied twice), and no SMS goes to
the provider twice but for the few the killed replica had in flight (the provider drops
those by their idempotency key)."""

import asyncio
import json
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import topics
from shared.runtime.mongo_server import MongoServer
from tests.support.purchases import Expected, register, settled_cards, stream_purchases
from tests.support.suite import Suite, isolated_prefix, values
from tests.unit.notify.fake_provider import FakeProvider

pytestmark = pytest.mark.fault
CUSTOMERS = 60
PURCHASES = 2000
DUPLICATES = 100
#: Messages one sender hands to the gateway at once: what a SIGKILL can leave unrecorded.
SENDER_CONCURRENCY = 32


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[FakeProvider]:
    async with FakeProvider() as running:
        yield running


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory, mongodb: MongoServer,
                provider: FakeProvider) -> AsyncIterator[Suite]:
    workdir = tmp_path_factory.mktemp("replicas")
    running = Suite(workdir, services=["loyalty", "notify"],
                    replicas={"loyalty": 2, "notify": 2}, mongodb_url=mongodb.url,
                    database_prefix=isolated_prefix(workdir),
                    env={"CRM_QUIET_HOURS": "off", "CRM_SURVEY_THROTTLE_DAYS": "0",
                         "CRM_SMS_GATEWAY": "http", "CRM_SMS_HTTP_URL": provider.url,
                         # A killed replica's claims expire this soon (5 minutes by default).
                         "CRM_SMS_CLAIM_LEASE_S": "20",
                         "CRM_SMS_INBOUND_TOKEN": "test-inbound-token-for-the-suite-on-loopback",
                         "CRM_BOOTSTRAP_ADMIN_PASSWORD": "a long enough test admin password"})
    await running.start()
    yield running
    await running.stop()


async def kill(suite: Suite, name: str, figures: dict[str, object]) -> None:
    assert suite.supervisor is not None
    killed_at = time.monotonic()
    suite.supervisor.kill(name, signal.SIGKILL)
    await asyncio.sleep(0.5)
    await suite.wait_ready(name, timeout_s=90)  # restarted, as Kubernetes would
    figures[f"{name} kill to consuming again (s)"] = round(time.monotonic() - killed_at, 1)


@pytest.mark.timeout(900)  # four services and a server on two cores: minutes, not seconds
async def test_replicas_lose_nothing_and_apply_nothing_twice_when_one_is_killed(
    suite: Suite, provider: FakeProvider,
) -> None:
    rng = random.Random(20261128)
    run = uuid.uuid4().hex[:4]
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5)
    await producer.start()
    expected = Expected({f"r{run}-{n:03d}": f"78{run}{n:04d}" for n in range(CUSTOMERS)})
    cards = expected.cards
    figures: dict[str, object] = {}
    faults = {PURCHASES // 3: lambda: kill(suite, "loyalty-2", figures),
              2 * PURCHASES // 3: lambda: kill(suite, "notify-2", figures)}
    try:
        await register(producer, cards, "Olga Sidorova", f"+7916{int(run, 16) % 10000:04d}")
        await stream_purchases(producer, expected, PURCHASES, rng, faults, DUPLICATES)
    finally:
        await producer.stop()
    stream_end = time.monotonic()
    views = await settled_cards(suite, expected, timeout_s=300)
    figures["end of stream to balances settled (s)"] = round(time.monotonic() - stream_end, 1)

    updates = await suite.read(topics.LOYALTY_UPDATED, timeout_s=60, until=lambda rs: len(
        {v["event_id"] for v in values(rs)}) >= PURCHASES)
    distinct = {v["event_id"]: v for v in values(updates)}
    points: dict[str, int] = dict.fromkeys(cards, 0)
    for update in distinct.values():
        points[update["customer_id"]] += update["points_delta"]

    surveys = await suite.read(topics.NOTIFICATION_SENT, timeout_s=300, until=lambda rs: len(
        {v["notification_id"] for v in values(rs)
         if v["kind"] == "quality_survey" and v["status"] == "sent"}) >= PURCHASES)
    surveyed = {v["notification_id"] for v in values(surveys)
                if v["kind"] == "quality_survey" and v["status"] == "sent"}
    references = Counter(str(seen.body.get("reference")) for seen in provider.requests)
    repeated = sum(count - 1 for count in references.values())

    figures.update({
        "purchases": PURCHASES, "duplicates re-sent": DUPLICATES,
        "loyalty.updated distinct": len(distinct),
        "balances wrong": sum(1 for c in cards if views[c]["points_balance"] != points[c]),
        "values wrong": sum(1 for c in cards
                            if Decimal(views[c]["value_lifetime"]) != expected.value[c]),
        "quality surveys sent": len(surveyed),
        # Events are at least once: a relay whose delete conflicts publishes its batch again.
        "notification.sent records (repeats included)": len(surveys),
        "provider requests": len(provider.requests),
        "messages the provider saw": len(references),
        "requests repeating a message (same idempotency key)": repeated,
    })
    print("\nreplica fault figures:", json.dumps(figures, indent=2))
    assert len(distinct) == PURCHASES  # one update per purchase: none lost, none twice
    assert figures["balances wrong"] == 0 and figures["values wrong"] == 0
    assert len(surveyed) == PURCHASES  # every purchase surveyed once
    assert surveyed <= set(references)  # each one reached the provider
    # Without claims both notify replicas send every due message (about PURCHASES repeats);
    # with them only what the killed replica had handed over and not yet recorded repeats.
    assert repeated <= SENDER_CONCURRENCY
