"""Registrations streamed while the scorer is killed, rebalanced and cut off from its
database: every registration is scored, and scored exactly once."""

import asyncio
import json
import signal
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import topics
from tests.support.suite import Suite, values

pytestmark = pytest.mark.fault
MONGODB_ON_REQUEST = True  # on a MongoDB server too with CRM_TEST_MONGODB=all
REGISTRATIONS = 3000


def registration(n: int, run: str) -> tuple[bytes, bytes]:
    customer_id = f"f{run}-{n:05d}"
    body = {"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T09:15:00Z",
            "customer_id": customer_id, "full_name": f"Pavel Orlov {n}",
            "phone": f"+7916{n:07d}", "country": "RU", "person_type": "individual",
            "category": "ordinary", "entered_by": "self"}
    return customer_id.encode(), json.dumps(body).encode()


async def test_every_registration_is_scored_exactly_once_through_kills_and_rebalances(
    suite: Suite,
) -> None:
    run = uuid.uuid4().hex[:4]
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5)
    await producer.start()
    figures: dict[str, object] = {}
    sent: list[str] = []
    assert suite.supervisor is not None
    try:
        for n in range(REGISTRATIONS):
            key, value = registration(n, run)
            await producer.send(topics.CUSTOMER_REGISTERED, value, key=key)
            sent.append(key.decode())
            if n == REGISTRATIONS // 5:  # (a) SIGKILL mid-stream; the supervisor restarts it
                await producer.flush()
                suite.supervisor.kill("scoring", signal.SIGKILL)
                killed_at = time.monotonic()
            if n == 2 * REGISTRATIONS // 5:
                await producer.flush()
                await suite.wait_ready("scoring", consuming=False)
                figures["scoring kill to HTTP ready (s)"] = round(time.monotonic() - killed_at, 1)
                await suite.wait_ready("scoring")
                figures["scoring kill to consuming again (s)"] = round(
                    time.monotonic() - killed_at, 1)
                figures["scoring restarts"] = suite.supervisor.services["scoring"].restarts
                await suite.add_instance("scoring", "scoring-2")  # (b) joins the group
            if n == 3 * REGISTRATIONS // 5:  # (c) the database fails for a while
                await producer.flush()
                async with suite.client("scoring", role="admin") as admin:
                    response = await admin.post("/admin/faults",
                                                json={"database_unavailable_s": 3})
                assert response.status_code == 200
            if n == 4 * REGISTRATIONS // 5:  # (b) ... and leaves again
                await producer.flush()
                await suite.supervisor.remove("scoring-2")
            if n % 200 == 0:
                await producer.flush()
                await asyncio.sleep(0.1)
        await producer.flush()
    finally:
        await producer.stop()
    stream_end = time.monotonic()

    expected = set(sent)
    records = await suite.read(
        topics.CUSTOMER_SCORED, timeout_s=180,
        until=lambda rs: expected <= {v["customer_id"] for v in values(rs)})
    scored = [v for v in values(records) if v["customer_id"] in expected]
    ids_by_customer: dict[str, set[str]] = {}
    for event in scored:
        ids_by_customer.setdefault(event["customer_id"], set()).add(event["event_id"])

    figures.update({
        "registrations sent": len(expected),
        "time from end of stream to all scored (s)": round(time.monotonic() - stream_end, 1),
        "scored messages read": len(scored),
        "redelivered copies (same event_id)": len(scored) - len(ids_by_customer),
        "registrations lost": len(expected - set(ids_by_customer)),
        "registrations scored twice": sum(1 for ids in ids_by_customer.values() if len(ids) > 1),
    })
    print("\nfault figures (scoring):", json.dumps(figures, indent=2))
    assert figures["registrations lost"] == 0
    assert figures["registrations scored twice"] == 0
