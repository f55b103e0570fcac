"""The outbox relay on the embedded broker: it sends through aiokafka's producer under
FastStream's, keyed by customer, with the JSON content type, and empties the outbox."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.broker import make_broker, raw_producer
from shared.contracts import CustomerScored, topics
from shared.database.memory import MemoryDatabase
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox
from shared.runtime.kafka import EmbeddedKafka, ensure_topics, free_port
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def kafka(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedKafka]:
    broker = EmbeddedKafka(free_port(), log_path=Path(tmp_path_factory.mktemp("k")) / "t.log")
    broker.start()
    await ensure_topics(broker.bootstrap, names=[topics.CUSTOMER_SCORED])
    yield broker
    broker.stop()


async def test_the_relay_publishes_through_aiokafka_keyed_and_typed(kafka: EmbeddedKafka) -> None:
    settings = ServiceSettings(service_name="relay", kafka_bootstrap_servers=kafka.bootstrap,
                               kafka_idempotent_producer=False)
    metrics = ServiceMetrics("relay")
    broker = make_broker(settings, metrics.registry)
    assert raw_producer(broker) is None  # not connected yet
    await broker.connect()
    try:
        assert raw_producer(broker) is not None
        db = MemoryDatabase("relay")
        outbox = Outbox(db, broker, metrics)
        scores = [CustomerScored(customer_id=f"c-{n}", score=n,
                                 band="low", payment_policy="any", model_version="t")
                  for n in range(30)]
        async with db.transaction():
            await outbox.add(scores)
        assert await outbox.flush() == 30
        assert await outbox.pending() == 0
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, fetch_max_wait_ms=20)
        await consumer.start()
        try:
            partitions = [TopicPartition(topics.CUSTOMER_SCORED, p) for p in
                          sorted(consumer.partitions_for_topic(topics.CUSTOMER_SCORED) or [])]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            seen = []
            async with asyncio.timeout(20):
                while len(seen) < 30:
                    for records in (await consumer.getmany(timeout_ms=200)).values():
                        seen.extend(records)
        finally:
            await consumer.stop()
        for record in seen:
            body = json.loads(record.value)
            assert record.key == body["customer_id"].encode()
            assert dict(record.headers)["content-type"] == b"application/json"
        assert sorted(json.loads(r.value)["score"] for r in seen) == list(range(30))
    finally:
        await broker.stop()
