"""The shared consume path, driven in memory by FastStream's TestKafkaBroker."""

from collections.abc import AsyncIterator, Sequence

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import AutoReconnect

from shared.contracts import CustomerRegistered, CustomerScored, Event, topics
from shared.errors import Rejected
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings


def registration(customer_id: str = "c-1", **changes: object) -> CustomerRegistered:
    fields = {"customer_id": customer_id, "full_name": "Anna Petrova", "phone": "+79001234567",
              "country": "RU", "person_type": "individual", "category": "ordinary",
              "entered_by": "self", **changes}
    return CustomerRegistered.model_validate(fields)


class Recorder:
    """A handler that writes state and derives a score, with scripted failures."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.calls = 0
        self.failures: list[BaseException] = []

    async def __call__(self, event: CustomerRegistered) -> Sequence[Event]:
        self.calls += 1
        await self.runtime.db.collection("customers").update_one(
            {"_id": event.customer_id}, {"$inc": {"registrations": 1}}, upsert=True)
        if self.failures:
            raise self.failures.pop(0)
        return [CustomerScored(event_id=Event.derived_id(event.event_id, "scored"),
                               customer_id=event.customer_id, score=5, band="low",
                               payment_policy="any", model_version="t")]


class Harness:
    def __init__(self) -> None:
        settings = ServiceSettings(service_name="test", retry_backoff_s=0.001, retry_attempts=3,
                                   max_event_bytes=2048)
        self.runtime = ServiceRuntime(settings)
        self.handler = Recorder(self.runtime)
        self.runtime.subscribe(CustomerRegistered, self.handler)
        self.runtime.register_consumers()
        self.dead: list[tuple[bytes, dict[str, str]]] = []
        self.scored: list[bytes] = []
        broker = self.runtime.broker

        @broker.subscriber(topics.dlq(topics.CUSTOMER_REGISTERED))
        async def dead_letters(message: KafkaMessage) -> None:
            self.dead.append((message.body, message.headers))

        @broker.subscriber(topics.CUSTOMER_SCORED)
        async def scored(message: KafkaMessage) -> None:
            self.scored.append(message.body)

    async def send(self, value: bytes) -> None:
        await self.broker.publish(value, topics.CUSTOMER_REGISTERED, key=b"c-1")

    async def registrations(self, customer_id: str = "c-1") -> int:
        row = await self.runtime.db.collection("customers").find_one({"_id": customer_id})
        return 0 if row is None else int(row["registrations"])


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    async with TestKafkaBroker(h.runtime.broker) as broker:
        h.broker = broker  # type: ignore[attr-defined]
        yield h


async def test_an_event_is_handled_and_its_derived_event_published(harness: Harness) -> None:
    await harness.send(registration().to_bytes())
    assert await harness.registrations() == 1
    assert len(harness.scored) == 1
    assert await harness.runtime.outbox.pending() == 0


async def test_a_redelivered_event_is_skipped(harness: Harness) -> None:
    event = registration().to_bytes()
    await harness.send(event)
    await harness.send(event)
    assert harness.handler.calls == 1
    assert await harness.registrations() == 1
    assert len(harness.scored) == 1


async def test_invalid_json_is_dead_lettered_with_its_reason(harness: Harness) -> None:
    await harness.send(b'{"customer_id": ')
    (body, headers), = harness.dead
    assert body == b'{"customer_id": '
    assert headers["crm-dlq-kind"] == "invalid"
    assert headers["crm-dlq-reason"] == "message: json_invalid"
    assert headers["crm-dlq-source-topic"] == topics.CUSTOMER_REGISTERED
    assert harness.handler.calls == 0


async def test_the_dead_letter_reason_names_the_field_but_not_its_value(harness: Harness) -> None:
    bad = registration().model_dump(mode="json") | {"phone": "89001234567"}
    import json
    await harness.send(json.dumps(bad).encode())
    (_, headers), = harness.dead
    assert headers["crm-dlq-reason"].startswith("phone:")
    assert "89001234567" not in headers["crm-dlq-reason"]


async def test_an_oversized_message_is_dead_lettered(harness: Harness) -> None:
    huge = registration(source="x" * 150).model_dump_json().replace("x" * 150, "y" * 4000)
    await harness.send(huge.encode())
    (_, headers), = harness.dead
    assert headers["crm-dlq-kind"] == "too_large"


async def test_a_rejected_event_is_dead_lettered_and_its_writes_rolled_back(
    harness: Harness,
) -> None:
    harness.handler.failures = [Rejected("unknown referrer")]
    await harness.send(registration().to_bytes())
    (_, headers), = harness.dead
    assert headers["crm-dlq-reason"] == "unknown referrer"
    assert await harness.registrations() == 0
    assert harness.scored == []


async def test_a_handler_error_is_retried_and_then_succeeds_once(harness: Harness) -> None:
    harness.handler.failures = [ValueError("flaky"), ValueError("flaky")]
    await harness.send(registration().to_bytes())
    assert harness.handler.calls == 3
    assert await harness.registrations() == 1  # the failed attempts were rolled back
    assert harness.dead == []


async def test_a_poison_event_is_dead_lettered_after_bounded_retries_and_the_next_passes(
    harness: Harness,
) -> None:
    harness.handler.failures = [KeyError("boom")] * 3
    await harness.send(registration("c-poison").to_bytes())
    await harness.send(registration("c-next").to_bytes())
    (_, headers), = harness.dead
    assert headers["crm-dlq-kind"] == "handler_error"
    assert "failed 3 times" in headers["crm-dlq-reason"]
    assert await harness.registrations("c-poison") == 0
    assert await harness.registrations("c-next") == 1


async def test_a_database_outage_is_waited_out_without_dead_lettering(harness: Harness) -> None:
    harness.handler.failures = [AutoReconnect("primary stepped down")] * 5
    await harness.send(registration().to_bytes())
    assert harness.dead == []
    assert await harness.registrations() == 1
    assert len(harness.scored) == 1


async def test_a_mongodb_transaction_conflict_is_retried_not_dead_lettered(
    harness: Harness,
) -> None:
    from pymongo.errors import OperationFailure

    conflict = OperationFailure("WriteConflict", code=112,
                                details={"errorLabels": ["TransientTransactionError"]})
    harness.handler.failures = [conflict] * 6  # more than the bounded retries for errors
    await harness.send(registration().to_bytes())
    assert harness.dead == []
    assert await harness.registrations() == 1


async def test_processed_event_ids_get_a_ttl_index_at_start() -> None:
    runtime = ServiceRuntime(ServiceSettings(service_name="test", processed_retention_days=7))
    runtime.broker.connect = runtime.broker.start = _no_broker  # type: ignore[method-assign]
    await runtime.start()
    indexes = runtime.db.collection("processed_events").indexes  # type: ignore[attr-defined]
    assert indexes == [("at", {"expireAfterSeconds": 7 * 86_400})]
    runtime._stop.set()
    for task in runtime._tasks:
        task.cancel()


async def _no_broker() -> None:
    return None


async def test_a_transient_error_that_persists_while_the_database_answers_is_dead_lettered(
) -> None:
    from pymongo.errors import OperationFailure

    h = Harness()
    h.runtime.settings.transient_limit_s = 0.05
    conflict = OperationFailure("WriteConflict", code=112,
                                details={"errorLabels": ["TransientTransactionError"]})
    h.handler.failures = [conflict] * 10_000  # for ever, as far as the consumer can tell
    async with TestKafkaBroker(h.runtime.broker) as broker:
        await broker.publish(registration().to_bytes(), topics.CUSTOMER_REGISTERED, key=b"c-1")
        await broker.publish(registration("c-2").to_bytes(), topics.CUSTOMER_REGISTERED,
                             key=b"c-2")
    assert len(h.dead) == 2
    assert h.dead[0][1]["crm-dlq-kind"] == "transient_persisted"
    assert "code 112" in h.dead[0][1]["crm-dlq-reason"]
    assert await h.registrations() == 0  # rolled back each time


async def test_a_duplicate_processed_id_means_applied_by_another_replica(
    harness: Harness,
) -> None:
    from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

    from shared.consumer import Subscription, is_duplicate_key

    runtime = harness.runtime
    subscription = Subscription(routes=[], settings=runtime.settings, db=runtime.db,
                                outbox=runtime.outbox, broker=runtime.broker,
                                metrics=runtime.metrics)
    duplicate = DuplicateKeyError("E11000", code=11000)
    assert not await subscription._already_applied("t:1", duplicate)  # nobody applied it
    await runtime.db.collection("processed_events").insert_one({"_id": "t:1"})
    assert await subscription._already_applied("t:1", duplicate)
    assert not await subscription._already_applied("t:1", ValueError("a bug"))
    assert is_duplicate_key(BulkWriteError({"writeErrors": [{"code": 11000}]}))
    assert not is_duplicate_key(BulkWriteError({"writeErrors": [{"code": 121}]}))
    assert is_duplicate_key(OperationFailure("E11000", code=11000))
