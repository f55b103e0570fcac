"""The `crm` ops tool against a running suite: inspect and replay a dead-letter topic, lag."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration
DLQ = topics.dlq(topics.CUSTOMER_REGISTERED)


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("ops"), services=["registry", "scoring"])
    await running.start()
    yield running
    await running.stop()


async def crm(suite: Suite, *args: str) -> tuple[str, str]:
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=suite.bootstrap)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


def registration(customer_id: str, phone: str) -> bytes:
    return json.dumps({
        "event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T09:15:00Z",
        "customer_id": customer_id, "full_name": "Ivan Sidorov", "phone": phone,
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self"}).encode()


async def test_a_dead_lettered_registration_is_replayed_once_after_a_fix(suite: Suite) -> None:
    # As if scoring had dead-lettered it during an incident, since fixed.
    customer_id = f"replayed-{uuid.uuid4().hex[:6]}"
    await suite.produce(topics.CUSTOMER_REGISTERED, b"{not json", b"x")
    from aiokafka import AIOKafkaProducer
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap)
    await producer.start()
    await producer.send_and_wait(DLQ, registration(customer_id, "+79003330011"),
                                 key=customer_id.encode(), headers=[
        ("crm-dlq-kind", b"handler_error"), ("crm-dlq-consumer", b"scoring"),
        ("crm-dlq-reason", b"handler failed 5 times: incident"),
        ("crm-dlq-source-topic", topics.CUSTOMER_REGISTERED.encode())])
    await producer.stop()
    await suite.read(DLQ, until=lambda rs: len(rs) >= 3)  # 2 copies of the bad one + ours

    listing, summary = await crm(suite, "dlq", "inspect", DLQ)
    entries = [json.loads(line) for line in listing.splitlines()]
    assert {e["kind"] for e in entries} == {"invalid", "handler_error"}
    assert all("value" not in e for e in entries)  # values only with --show-values
    assert "3 dead-lettered record(s)" in summary

    dry, _ = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error", "--dry-run")
    assert dry.count("would replay") == 1
    replayed, _ = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error")
    assert replayed.count("replaying") == 1

    scored = await suite.read(topics.CUSTOMER_SCORED, until=lambda rs: any(
        v["customer_id"] == customer_id for v in values(rs)))
    assert [v["customer_id"] for v in values(scored)].count(customer_id) == 1

    again, summary = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error")
    assert "replaying" not in again
    assert "replayed 0 record(s)" in summary


async def test_consumer_lag_returns_to_zero(suite: Suite) -> None:
    for n in range(20):
        await suite.produce(topics.CUSTOMER_REGISTERED,
                            registration(f"lag-{n}", f"+7900444{n:04d}"), f"lag-{n}".encode())

    async def drained() -> bool:
        _, summary = await crm(suite, "lag")
        return "total lag 0" in summary

    await eventually(drained, timeout_s=30, interval_s=1, what="consumer lag to reach zero")
