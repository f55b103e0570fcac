"""The production adapter's units of work over the network, on a MongoDB wire-protocol
server (SecantusDB): writes kept and sent in bulk, documents read ahead, the same results as
plain transactions, and the consume path on top of it."""

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import TestKafkaBroker
from pymongo import monitoring

from shared.consumer import Route, Subscription
from shared.contracts import CustomerRegistered, CustomerScored, Event, topics
from shared.database.mongo import MongoDatabase
from shared.database.port import DeferredResult
from shared.errors import Rejected
from shared.runtime.mongo_server import MongoServer
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


class Commands(monitoring.CommandListener):
    """The commands the client sent, by name (``find``, ``update``, ``insert``...)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def count(self, name: str) -> int:
        return self.sent.count(name)


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[MongoServer]:
    running = MongoServer()
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def db(server: MongoServer, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    commands = Commands()
    database = MongoDatabase(server.url, f"t_{request.node.name[:40]}",
                             event_listeners=[commands])
    database.commands = commands  # type: ignore[attr-defined]
    yield database
    await database.close()


async def test_writes_kept_in_a_unit_are_sent_in_bulk_and_seen_by_later_reads(db: Any) -> None:
    accounts = db.collection("accounts")
    await accounts.insert_many([{"_id": f"a-{n}", "points": 0} for n in range(50)])
    db.commands.sent.clear()
    async with db.unit_of_work():
        await db.preload("accounts", [f"a-{n}" for n in range(50)])
        for n in range(50):
            account = await accounts.find_one({"_id": f"a-{n}"})
            await accounts.replace_one({"_id": f"a-{n}"}, {**account, "points": n})
            await accounts.update_one({"_id": f"a-{n}"}, {"$inc": {"points": 1}})
        # a read of a written document sends what was kept first
        assert (await accounts.find_one({"_id": "a-7"}))["points"] == 8
        assert await accounts.count_documents({"points": {"$gte": 41}}) == 10
    assert db.commands.count("find") == 2  # the read-ahead and the one read after writes
    assert db.commands.count("update") == 1  # 100 writes in one bulk write
    rows = await accounts.find({}).sort("_id", 1).to_list()
    assert sorted(row["points"] for row in rows) == list(range(1, 51))


async def test_a_document_preloaded_as_missing_is_answered_as_missing(db: Any) -> None:
    accounts = db.collection("accounts")
    async with db.unit_of_work():
        await db.preload("accounts", ["nobody"])
        sent = len(db.commands.sent)
        assert await accounts.find_one({"_id": "nobody"}) is None
        assert len(db.commands.sent) == sent
        await accounts.insert_one({"_id": "nobody", "points": 1})
        assert await accounts.find_one({"_id": "nobody"}, {"points": 1}) == {
            "_id": "nobody", "points": 1}


async def test_a_write_error_at_the_end_rolls_the_whole_unit_back(db: Any) -> None:
    accounts = db.collection("accounts")
    await accounts.insert_one({"_id": "taken"})
    with pytest.raises(Exception) as raised:
        async with db.unit_of_work():
            await accounts.insert_one({"_id": "fresh"})
            await db.collection("ledger").insert_one({"_id": "entry"})
            await accounts.insert_one({"_id": "taken"})  # kept: fails when sent
    assert "11000" in str(raised.value) or "duplicate" in str(raised.value).lower()
    assert await accounts.find_one({"_id": "fresh"}) is None
    assert await db.collection("ledger").find_one({"_id": "entry"}) is None


async def test_reading_a_kept_writes_result_is_refused(db: Any) -> None:
    with pytest.raises(DeferredResult):
        async with db.unit_of_work():
            result = await db.collection("accounts").update_one({"_id": "x"}, {"$set": {"a": 1}})
            _ = result.matched_count


async def test_deletes_in_a_unit_follow_the_writes_kept_before_them(db: Any) -> None:
    notes = db.collection("notes")
    async with db.unit_of_work():
        await notes.insert_many([{"_id": f"n-{n}", "customer_id": "c-1"} for n in range(3)])
        result = await notes.delete_many({"customer_id": "c-1"})
        assert result.deleted_count == 3
        await notes.insert_one({"_id": "n-9", "customer_id": "c-2"})
    assert [row["_id"] for row in await notes.find({}).to_list()] == ["n-9"]


def registration(customer_id: str) -> CustomerRegistered:
    return CustomerRegistered.model_validate({
        "customer_id": customer_id, "full_name": "Anna Petrova", "phone": "+79001234567",
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self"})


async def test_the_consume_path_applies_a_batch_in_one_unit_over_the_network(
    server: MongoServer,
) -> None:
    settings = ServiceSettings(service_name="units", mongodb_url=server.url,
                               mongodb_database_prefix="consume_", retry_backoff_s=0.001,
                               retry_attempts=2)
    runtime = ServiceRuntime(settings)
    customers = runtime.db.collection("customers")
    calls: list[str] = []

    async def handler(event: CustomerRegistered) -> Sequence[Event]:
        calls.append(event.customer_id)
        stored = await customers.find_one({"_id": event.customer_id})
        count = 0 if stored is None else stored["registrations"]
        await customers.replace_one({"_id": event.customer_id},
                                    {"registrations": count + 1}, upsert=True)
        if event.customer_id == "c-refused":
            raise Rejected("unknown referrer")
        return [CustomerScored(event_id=Event.derived_id(event.event_id, "scored"),
                               customer_id=event.customer_id, score=5, band="low",
                               payment_policy="any", model_version="t")]

    subscription = Subscription(
        routes=[Route(topics.CUSTOMER_REGISTERED, CustomerRegistered, handler,
                      reads=lambda events: {"customers": [e.customer_id for e in events]})],
        settings=settings, db=runtime.db, outbox=runtime.outbox, broker=runtime.broker,
        metrics=runtime.metrics)
    events = [registration(f"c-{n % 10}") for n in range(40)]
    events.insert(20, registration("c-refused"))
    records = [ConsumerRecord(topics.CUSTOMER_REGISTERED, 0, offset, 0, 0, None,
                              event.to_bytes(), None, 0, 0, []) for offset, event in
               enumerate([*events, events[0]])]  # the last one repeats the first
    async with TestKafkaBroker(runtime.broker):
        await subscription.consume(records)
        counts = {row["_id"]: row["registrations"] for row in await customers.find({}).to_list()}
        assert counts == {f"c-{n}": 4 for n in range(10)}  # the refused one rolled back
        assert await runtime.outbox.pending() == 40
        assert await runtime.db.collection("processed_events").count_documents({}) == 40
        # again, as after a crash before the offsets were committed: nothing twice
        await subscription.consume(records)
        assert await customers.count_documents({"registrations": 4}) == 10
        assert await runtime.outbox.pending() == 40
    await runtime.db.close()


# The production shape's checks, on the server ----------------------------------------------
async def test_a_standalone_server_is_refused_with_what_to_do() -> None:
    from shared.database.port import DeploymentRefused

    standalone = MongoServer(standalone=True)
    await standalone.start()
    database = MongoDatabase(standalone.url, "t_standalone")
    try:
        with pytest.raises(DeploymentRefused, match="replica set"):
            await database.check_deployment()
    finally:
        await database.close()
        await standalone.stop()


async def test_a_replica_set_passes_and_its_indexes_are_verified(db: Any) -> None:
    await db.check_deployment()
    await db.collection("processed_events").create_index("at", expireAfterSeconds=86_400)
    await db.collection("calls").create_index([("operator_id", 1), ("opened_at", -1)])
    await db.verify_indexes()


async def test_an_index_with_other_options_than_this_version_needs_is_refused(
    server: MongoServer, db: Any,
) -> None:
    from shared.database.port import DeploymentRefused

    await db.collection("processed_events").create_index("at", expireAfterSeconds=86_400)
    newer = MongoDatabase(server.url, db.name)
    try:
        with pytest.raises(DeploymentRefused, match=r"processed_events.*dropIndex"):
            await newer.collection("processed_events").create_index(
                "at", expireAfterSeconds=7 * 86_400)
    finally:
        await newer.close()


async def test_two_transactions_writing_one_document_both_land_with_retries(db: Any) -> None:
    import asyncio

    from shared.retries import retry_transient

    accounts = db.collection("accounts")
    await accounts.insert_one({"_id": "a", "points": 0})
    inside = asyncio.Event()
    conflicts = 0

    async def add(points: int, hold: bool) -> None:
        nonlocal conflicts
        try:
            async with db.transaction():
                await accounts.update_one({"_id": "a"}, {"$inc": {"points": points}})
                if hold:  # the other transaction writes the same document meanwhile
                    inside.set()
                    await asyncio.sleep(0.15)
        except Exception:
            conflicts += 1
            raise

    async def second() -> None:
        await inside.wait()
        await retry_transient(lambda: add(10, False), "test")

    await asyncio.gather(retry_transient(lambda: add(1, True), "test"), second())
    assert (await accounts.find_one({"_id": "a"}))["points"] == 11
    assert conflicts >= 1  # the server did refuse one of them at first


async def test_one_lease_holder_at_a_time_on_the_server(db: Any) -> None:
    import asyncio
    from datetime import timedelta

    from shared.leases import Leases

    contenders = [Leases(db, f"replica-{n}") for n in range(4)]
    taken = await asyncio.gather(*(lease.take("tiers", timedelta(seconds=60))
                                   for lease in contenders))
    assert sum(taken) == 1


class Captured:
    """A broker stand-in for the relay: what it was asked to publish, by key."""

    def __init__(self) -> None:
        self.keys: list[bytes] = []

    async def publish(self, value: bytes, topic: str, **options: Any) -> None:
        self.keys.append(options["key"])


async def test_replicas_publish_their_own_outbox_rows_and_a_dead_ones_late(db: Any) -> None:
    import time

    from shared.metrics import ServiceMetrics
    from shared.outbox import ORPHAN_AFTER_S, Outbox

    brokers = {name: Captured() for name in ("a", "b")}
    outboxes = {name: Outbox(db, brokers[name], ServiceMetrics("t"), owner=name)
                for name in brokers}

    def scored(customer_id: str) -> CustomerScored:
        return CustomerScored(customer_id=customer_id, score=1, band="low",
                              payment_policy="any", model_version="t")

    async with db.transaction():
        await outboxes["a"].add([scored("of-a")])
    async with db.transaction():
        await outboxes["b"].add([scored("of-b")])
    assert await outboxes["a"].flush() == 1 and brokers["a"].keys == [b"of-a"]
    # b died before publishing: its row goes out from a once it is old enough.
    old = f"{time.time_ns() - int((ORPHAN_AFTER_S + 5) * 1e9):020d}-000000"
    row = await db.collection("outbox").find_one({"owner": "b"})
    await db.collection("outbox").delete_one({"_id": row["_id"]})
    await db.collection("outbox").insert_one(row | {"_id": old})
    assert await outboxes["a"].flush() == 1 and brokers["a"].keys == [b"of-a", b"of-b"]
    assert brokers["b"].keys == [] and await outboxes["a"].pending() == 0
