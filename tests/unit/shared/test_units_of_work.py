"""The consume path's units of work: a fetched batch applied in one transaction, with the
same guarantees as one event at a time (repeats, erasures, refusals, outages)."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import AutoReconnect

from shared.consumer import Route, Subscription
from shared.contracts import CustomerErased, CustomerRegistered, CustomerScored, Event, topics
from shared.errors import Rejected
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings


def registration(customer_id: str) -> CustomerRegistered:
    return CustomerRegistered.model_validate({
        "customer_id": customer_id, "full_name": "Anna Petrova", "phone": "+79001234567",
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self"})


class Scorer:
    """Counts registrations per customer and derives a score; scripted failures by id."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.calls: list[str] = []
        self.refuse: set[str] = set()
        self.outages = 0

    async def __call__(self, event: CustomerRegistered) -> Sequence[Event]:
        self.calls.append(event.customer_id)
        await self.runtime.db.collection("customers").update_one(
            {"_id": event.customer_id}, {"$inc": {"registrations": 1}}, upsert=True)
        if self.outages:
            self.outages -= 1
            raise AutoReconnect("primary stepped down")
        if event.customer_id in self.refuse:
            raise Rejected("unknown referrer")
        return [CustomerScored(event_id=Event.derived_id(event.event_id, "scored"),
                               customer_id=event.customer_id, score=5, band="low",
                               payment_policy="any", model_version="t")]


class Harness:
    def __init__(self, unit_events: int = 100) -> None:
        settings = ServiceSettings(service_name="test", retry_backoff_s=0.001, retry_attempts=2,
                                   consumer_unit_events=unit_events)
        self.runtime = runtime = ServiceRuntime(settings)
        self.scorer = Scorer(runtime)
        self.erased: list[str] = []
        self.subscription = Subscription(
            routes=[Route(topics.CUSTOMER_REGISTERED, CustomerRegistered, self.scorer),
                    Route(topics.CUSTOMER_ERASED, CustomerErased, self.erase)],
            settings=settings, db=runtime.db, outbox=runtime.outbox, broker=runtime.broker,
            metrics=runtime.metrics)
        self.dead: list[dict[str, str]] = []
        self.transactions = 0
        self.offset = 0
        real = runtime.db.transaction

        @asynccontextmanager
        async def counted() -> AsyncIterator[None]:
            self.transactions += 1
            async with real():
                yield

        runtime.db.transaction = counted  # type: ignore[method-assign]

        @runtime.broker.subscriber(topics.dlq(topics.CUSTOMER_REGISTERED))
        async def dead_letters(message: KafkaMessage) -> None:
            self.dead.append(message.headers)

    async def erase(self, event: CustomerErased) -> Sequence[Event]:
        self.erased.append(event.customer_id)
        await self.runtime.db.collection("erasures").update_one(
            {"_id": event.customer_id}, {"$set": {"requested_by": "t"}}, upsert=True)
        await self.runtime.db.collection("customers").delete_one({"_id": event.customer_id})
        return []

    def record(self, event: Event) -> ConsumerRecord[Any, Any]:
        self.offset += 1
        value = event.to_bytes()
        return ConsumerRecord(event.topic, 0, self.offset, 0, 0, None, value, None, 0,
                              len(value), [])

    async def consume(self, events: Sequence[Event | bytes]) -> None:
        records = []
        for item in events:
            if isinstance(item, bytes):
                self.offset += 1
                records.append(ConsumerRecord(topics.CUSTOMER_REGISTERED, 0, self.offset, 0, 0,
                                              None, item, None, 0, len(item), []))
            else:
                records.append(self.record(item))
        await self.subscription.consume(records)

    async def registrations(self, customer_id: str) -> int:
        row = await self.runtime.db.collection("customers").find_one({"_id": customer_id})
        return 0 if row is None else int(row["registrations"])

    async def derived(self) -> int:
        return await self.runtime.outbox.pending()

    def processed(self, result: str) -> float:
        return sum(
            sample.value for metric in self.runtime.metrics.events.collect()
            for sample in metric.samples
            if sample.name.endswith("_total") and sample.labels.get("result") == result)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    async with TestKafkaBroker(h.runtime.broker):
        yield h


async def test_a_batch_is_applied_in_one_transaction(harness: Harness) -> None:
    events = [registration(f"c-{n % 3}") for n in range(9)]
    await harness.consume(events)
    assert harness.transactions == 1
    assert [await harness.registrations(f"c-{n}") for n in range(3)] == [3, 3, 3]
    assert await harness.derived() == 9
    assert harness.processed("processed") == 9


async def test_a_batch_is_split_into_units_of_the_configured_size() -> None:
    h = Harness(unit_events=4)
    async with TestKafkaBroker(h.runtime.broker):
        await h.consume([registration(f"c-{n}") for n in range(10)])
    assert h.transactions == 3  # 4 + 4 + 2
    assert await h.derived() == 10


async def test_repeats_within_a_batch_and_across_batches_are_applied_once(
    harness: Harness,
) -> None:
    first, second = registration("c-1"), registration("c-2")
    await harness.consume([first, first, second])
    await harness.consume([second, first])
    assert harness.scorer.calls == ["c-1", "c-2"]
    assert await harness.registrations("c-1") == 1
    assert harness.processed("duplicate") == 3


async def test_one_refused_event_is_dead_lettered_and_the_rest_of_its_unit_applied(
    harness: Harness,
) -> None:
    harness.scorer.refuse = {"c-bad"}
    await harness.consume([registration("c-1"), registration("c-bad"), registration("c-2")])
    assert [headers["crm-dlq-reason"] for headers in harness.dead] == ["unknown referrer"]
    assert await harness.registrations("c-bad") == 0  # its writes rolled back
    assert await harness.registrations("c-1") == 1  # the unit's work rolled back and redone
    assert await harness.registrations("c-2") == 1
    assert await harness.derived() == 2
    assert harness.processed("processed") == 2


async def test_an_outage_retries_the_whole_unit_and_dead_letters_nothing(
    harness: Harness,
) -> None:
    harness.scorer.outages = 2
    await harness.consume([registration(f"c-{n}") for n in range(5)])
    assert harness.dead == []
    assert [await harness.registrations(f"c-{n}") for n in range(5)] == [1] * 5
    assert await harness.derived() == 5
    assert harness.transactions == 3  # two attempts rolled back, the third committed


async def test_events_after_an_erasure_in_the_same_batch_are_dropped(harness: Harness) -> None:
    erased = CustomerErased(customer_id="c-gone", requested_by="admin")
    await harness.consume([registration("c-gone"), erased, registration("c-gone"),
                           registration("c-kept")])
    assert harness.erased == ["c-gone"]
    assert harness.scorer.calls == ["c-gone", "c-kept"]
    assert await harness.registrations("c-gone") == 0
    # and in a later batch, found with the batch's one look-up
    await harness.consume([registration("c-gone"), registration("c-kept")])
    assert harness.scorer.calls == ["c-gone", "c-kept", "c-kept"]
    assert harness.processed("erased") == 2


async def test_an_invalid_record_in_a_batch_is_dead_lettered_and_the_rest_applied(
    harness: Harness,
) -> None:
    await harness.consume([registration("c-1"), b'{"customer_id": ', registration("c-2")])
    assert [headers["crm-dlq-kind"] for headers in harness.dead] == ["invalid"]
    assert await harness.derived() == 2


# Business metrics count what a unit committed (shared.outbox.committing), never an attempt.

def scored(runtime: ServiceRuntime) -> float:
    """The harness's scorer publishes band low, without a trigger."""
    from services.scoring.business import ScoringMetrics
    if runtime.outbox.observe is None:
        runtime.observe_committed(ScoringMetrics(runtime.metrics.registry).observe)
    value = runtime.metrics.registry.get_sample_value(
        "crm_customers_scored_total", {"band": "low", "trigger": "unknown"})
    return value or 0.0


async def test_a_unit_rolled_back_and_applied_one_by_one_counts_each_event_once(
    harness: Harness,
) -> None:
    assert scored(harness.runtime) == 0
    harness.scorer.refuse = {"c-bad"}
    events = [registration("c-1"), registration("c-bad"), registration("c-2")]
    await harness.consume(events)
    assert scored(harness.runtime) == 2  # not the rolled-back unit's 1 (c-1) on top
    await harness.consume(events)  # redelivered: the applied ones are duplicates
    assert scored(harness.runtime) == 2


async def test_a_unit_whose_commit_failed_after_its_outbox_write_counts_once(
    harness: Harness,
) -> None:
    scored(harness.runtime)
    db = harness.runtime.db
    inner, failures = db.transaction, [1]

    @asynccontextmanager
    async def commit_fails_once() -> AsyncIterator[None]:
        async with inner():
            yield  # the handlers ran and the outbox has the derived events
            if failures:
                failures.pop()
                raise AutoReconnect("commit lost")  # rolled back, retried as an outage

    db.transaction = commit_fails_once  # type: ignore[method-assign]
    events = [registration(f"c-{n}") for n in range(3)]
    await harness.consume(events)
    assert harness.transactions == 2
    assert await harness.derived() == 3
    assert scored(harness.runtime) == 3  # not 6
    await harness.consume(events)  # redelivered: duplicates change nothing
    assert scored(harness.runtime) == 3


async def test_a_rolled_back_command_counts_nothing_and_a_committed_one_counts_once(
    harness: Harness,
) -> None:
    runtime = harness.runtime
    scored(runtime)
    event = CustomerScored(customer_id="c-1", score=5, band="low", payment_policy="any",
                           model_version="t")
    with pytest.raises(RuntimeError):
        async with runtime.command():
            await runtime.publish([event])
            raise RuntimeError("conflict")
    assert scored(runtime) == 0
    async with runtime.command():
        async with runtime.command():  # nested: counted when the outer one commits
            await runtime.publish([event])
        assert scored(runtime) == 0
    assert scored(runtime) == 1


async def test_a_failing_observer_never_fails_the_commit(harness: Harness) -> None:
    def broken(event: Event) -> None:
        raise ValueError("bug")

    harness.runtime.observe_committed(broken)
    await harness.consume([registration("c-1")])
    assert await harness.registrations("c-1") == 1
    assert harness.processed("processed") == 1
