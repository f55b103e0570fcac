"""The first flow across processes: registry -> Kafka -> scoring -> Kafka -> caller card."""

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from shared.contracts import topics
from shared.contracts.topology import CONSUMERS
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration
MONGODB_ON_REQUEST = True  # on a MongoDB server too with CRM_TEST_MONGODB=all

KCAT = str(Path(__file__).resolve().parents[2] / "scripts" / "kcat")


async def scored_card(suite: Suite, phone: str, role: str = "analyst") -> dict:
    """The caller card of ``phone`` once it shows the score (the card comes before it)."""
    async with suite.client("registry", role=role) as client:
        async def card_with_risk() -> dict | None:
            response = await client.get(f"/api/callers/{phone}")
            card = response.json() if response.status_code == 200 else None
            return card if card and card.get("risk") else None

        return await eventually(card_with_risk, what=f"the score on the card of {phone}")


def registration_event(customer_id: str, phone: str) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T09:15:00Z",
        "customer_id": customer_id, "full_name": "Olga Smirnova", "phone": phone,
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self", "some_future_field": "ignored by consumers",
    }


async def test_every_service_reports_ready(suite: Suite) -> None:
    for service in suite.names:
        async with suite.client(service, role=None) as client:
            response = await client.get("/ready")
        assert response.status_code == 200, (service, response.text)
        assert response.json()["checks"] == {"service": "ok", "consumer": "ok", "database": "ok",
                                             "broker": "ok"}


async def test_registration_over_http_shows_its_risk_on_the_caller_card(suite: Suite) -> None:
    async with suite.client("registry") as client:
        created = await client.post("/api/customers", json={
            "full_name": "Anna Petrova", "phone": "8 900 123-45-67", "country": "RU"})
        assert created.status_code == 201, created.text
        customer_id = created.json()["customer_id"]
    card = await scored_card(suite, "+7 (900) 123 45 67", role="operator")
    assert card["customer_id"] == customer_id
    assert card["risk"]["band"] in {"low", "medium", "high"}
    assert card["risk"]["payment_policy"] in {"any", "prepaid_only", "irreversible_only"}


async def test_registration_from_kcat_is_scored_and_on_the_caller_card(suite: Suite) -> None:
    """librdkafka's kcat (see scripts/kcat for why it runs with a newer librdkafka)."""
    customer_id = f"kcat-{uuid.uuid4().hex[:8]}"
    event = registration_event(customer_id, "+79005554434")
    subprocess.run(  # noqa: ASYNC221 - a short, bounded call to the third-party client
        [KCAT, "-P", "-b", suite.bootstrap, "-t", topics.CUSTOMER_REGISTERED, "-K", "\t"],
        input=f"{customer_id}\t{json.dumps(event)}\n".encode(), check=True, timeout=30,
    )
    records = await suite.read(
        topics.CUSTOMER_SCORED,
        until=lambda rs: any(v["customer_id"] == customer_id for v in values(rs)),
    )
    assert [v["customer_id"] for v in values(records)].count(customer_id) == 1
    shown = await scored_card(suite, "+79005554434")
    assert shown["customer_id"] == customer_id


async def test_registration_from_a_bare_kafka_producer_is_scored(suite: Suite) -> None:
    """Plain JSON bytes and a key, no FastStream headers: what any other system sends."""
    customer_id = f"bare-{uuid.uuid4().hex[:8]}"
    event = registration_event(customer_id, "+79005554433")
    await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(event).encode(),
                        customer_id.encode())
    records = await suite.read(
        topics.CUSTOMER_SCORED,
        until=lambda rs: any(v["customer_id"] == customer_id for v in values(rs)),
    )
    scored = [v for v in values(records) if v["customer_id"] == customer_id]
    assert len(scored) == 1
    assert records[0].key is not None

    shown = await scored_card(suite, "+79005554433")
    assert shown["risk"]["score"] == scored[0]["score"]


async def test_malformed_registration_is_dead_lettered_and_the_next_one_still_scored(
    suite: Suite,
) -> None:
    await suite.produce(topics.CUSTOMER_REGISTERED, b'{"customer_id": "broken", "phone": ', b"x")
    wrong_type = registration_event("wrong-type", "+79001112233") | {"person_type": 7}
    await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(wrong_type).encode(), b"wrong-type")
    good_id = f"after-bad-{uuid.uuid4().hex[:8]}"
    good = registration_event(good_id, "+79001112244")
    await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(good).encode(), good_id.encode())

    # Every service consuming registrations dead-letters, on its own, what it cannot read.
    consumers = {s.encode() for s in CONSUMERS[topics.CUSTOMER_REGISTERED] if s in suite.names}
    dead = await suite.read(topics.dlq(topics.CUSTOMER_REGISTERED),
                            until=lambda rs: len(rs) >= 2 * len(consumers))
    by_consumer: dict[bytes, list] = {}
    for record in dead:
        by_consumer.setdefault(dict(record.headers)["crm-dlq-consumer"], []).append(record)
    assert set(by_consumer) == consumers
    for records in by_consumer.values():
        assert records[0].value == b'{"customer_id": "broken", "phone": '
        first, second = (dict(r.headers) for r in records[:2])
        assert first["crm-dlq-reason"] == b"message: json_invalid"
        assert b"person_type" in second["crm-dlq-reason"]
        assert first["crm-dlq-source-topic"] == topics.CUSTOMER_REGISTERED.encode()
        assert first["crm-dlq-source-offset"].isdigit()

    scored = await suite.read(
        topics.CUSTOMER_SCORED,
        until=lambda rs: any(v["customer_id"] == good_id for v in values(rs)),
    )
    assert any(v["customer_id"] == good_id for v in values(scored))


async def test_a_redelivered_registration_is_scored_once(suite: Suite) -> None:
    customer_id = f"twice-{uuid.uuid4().hex[:8]}"
    event = json.dumps(registration_event(customer_id, "+79007778899")).encode()
    await suite.produce(topics.CUSTOMER_REGISTERED, event, customer_id.encode())
    await suite.produce(topics.CUSTOMER_REGISTERED, event, customer_id.encode())
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    await suite.produce(
        topics.CUSTOMER_REGISTERED,
        json.dumps(registration_event(marker, "+79007778800")).encode(), customer_id.encode(),
    )
    # The marker shares the key, hence the partition: once it is scored, both copies were seen.
    records = await suite.read(
        topics.CUSTOMER_SCORED, until=lambda rs: any(v["customer_id"] == marker for v in values(rs))
    )
    assert [v["customer_id"] for v in values(records)].count(customer_id) == 1
