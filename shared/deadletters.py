"""Dead-letter topics for ops: reading them, where a replay stands, and purging one
customer's records (``crm dlq inspect|replay|purge`` in ``shared.cli``).

Dead-letter topics keep records 30 days, so an erased customer's must be taken out, and
Kafka cannot delete one record. A purge therefore rewrites each partition that holds any
of the customer's records: every other record is published again to the same partition
(value, key, headers and timestamp unchanged, so retention still counts from the
failure), then everything before the partition's old end offset goes:

- a **purge mark**, the committed offset of the consumer group ``crm.cli.dlq-purged.<dlq
  topic>``, makes ``inspect``, ``replay`` and later purges start at it, on any broker;
- **DeleteRecords** (``AIOKafkaAdminClient.delete_records``) removes the bytes. Apache Kafka
  does it (the tool's principal needs the Delete operation on the topic). The embedded
  broker, Tansu 0.6, advertises the API but its memory engine does not implement it: the
  request's connection is dropped (Tansu logs a "not yet implemented" panic and carries
  on). There the bytes stay until retention or the broker's restart (it keeps nothing on
  disk), hidden by the mark. Each purge says which happened.

Kept records that a replay had already sent are skipped by the replay group's position
where they are contiguous, so a purge does not make the next replay send them again.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata, RecordMetadata

from shared.broker import MAX_BATCH_BYTES, kafka_client_options
from shared.contracts import topics
from shared.settings import ServiceSettings

REPLAY_GROUP = "crm.cli.dlq-replay"
PURGE_GROUP = "crm.cli.dlq-purged"
#: Fields of a dead-lettered event that name a customer.
CUSTOMER_FIELDS = ("customer_id", "referrer_id", "referred_id")
PROGRESS_EVERY = 10_000
#: How long a fetch that finds nothing new takes: the end of a partition is found so.
FETCH_WAIT_MS = 100
SEND_CHUNK = 500

Progress = Callable[[str], None]
Spans = dict[TopicPartition, range]


def dead_letter_topics() -> list[str]:
    return [topics.dlq(topic) for topic in topics.ALL]


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in (record.headers or ())}


def belongs_to(record: ConsumerRecord, customer_id: str) -> bool:
    """A dead letter is the customer's when its key is the id or its event names the id in
    one of ``CUSTOMER_FIELDS``; a value that is no JSON object (a broken record) when it
    holds the id as a JSON string."""
    if record.key is not None and record.key.decode(errors="replace") == customer_id:
        return True
    value = record.value or b""
    try:
        event = json.loads(value)
    except ValueError:
        event = None
    if isinstance(event, dict):
        return any(event.get(name) is not None and str(event[name]) == customer_id
                   for name in CUSTOMER_FIELDS)
    return json.dumps(customer_id).encode() in value


def reader(settings: ServiceSettings, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer that is assigned partitions (it joins no group) and commits by hand."""
    return AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                            group_id=group_id, enable_auto_commit=False,
                            auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_WAIT_MS,
                            **kafka_client_options(settings))


@asynccontextmanager
async def running(settings: ServiceSettings, group_id: str | None = None,
                  ) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = reader(settings, group_id)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    found = sorted(consumer.partitions_for_topic(topic) or ())
    if not found:
        raise LookupError(f"no such topic: {topic}")
    return [TopicPartition(topic, partition) for partition in found]


async def committed(settings: ServiceSettings, group: str,
                    partitions: list[TopicPartition]) -> dict[TopicPartition, int | None]:
    """A consumer group's committed offsets (None: never committed)."""
    async with running(settings, group) as consumer:
        consumer.assign(partitions)
        return {partition: await consumer.committed(partition) for partition in partitions}


async def commit(settings: ServiceSettings, group: str,
                 offsets: dict[TopicPartition, int]) -> None:
    async with running(settings, group) as consumer:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(offset, "")
                               for tp, offset in offsets.items()})


async def purge_marks(settings: ServiceSettings, topic: str,
                      partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Per partition, the offset before which a purge took everything out (0: none)."""
    marks = await committed(settings, f"{PURGE_GROUP}.{topic}", partitions)
    return {partition: mark or 0 for partition, mark in marks.items()}


async def spans(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                floors: dict[TopicPartition, int]) -> Spans:
    """What is there to read now: from the first record still kept (and not before a
    floor: a purge mark, a replay position) to the current end."""
    beginnings = await consumer.beginning_offsets(partitions)
    ends = await end_offsets(consumer, partitions)
    return {tp: range(min(max(beginnings[tp], floors.get(tp, 0)), ends[tp]), ends[tp])
            for tp in partitions}


async def end_offsets(consumer: AIOKafkaConsumer,
                      partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Each partition's end, found by reading on from the end the broker names until a
    fetch brings nothing: Tansu 0.6 names the last batch's first offset + 1 when that batch
    holds several records (the services' producers batch), which would hide the rest."""
    named = await consumer.end_offsets(partitions)
    consumer.assign(partitions)
    for partition in partitions:
        consumer.seek(partition, named[partition])
    while await consumer.getmany(*partitions, timeout_ms=3 * FETCH_WAIT_MS):
        pass
    return {partition: await consumer.position(partition) for partition in partitions}


async def records(consumer: AIOKafkaConsumer, wanted: Spans) -> AsyncIterator[ConsumerRecord]:
    """The records of each span, in offset order per partition; nothing written later."""
    missing = set(wanted) - consumer.assignment()
    if missing:  # spans() assigned them: assigning again stalls the consumer's stop on Tansu
        consumer.assign(list(consumer.assignment() | missing))
    for partition, span in wanted.items():
        consumer.seek(partition, span.start)
    pending = [tp for tp, span in wanted.items() if span]
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=500)
        for partition, chunk in batch.items():
            for record in chunk:
                if record.offset < wanted[partition].stop:
                    yield record
        pending = [tp for tp in pending if await consumer.position(tp) < wanted[tp].stop]


@dataclass
class TopicPurge:
    """What a purge did to one dead-letter topic (counts only: it names no one)."""

    topic: str
    removed: int = 0
    kept: int = 0  # other records of the rewritten partitions, published again
    partitions: list[int] = field(default_factory=list)
    purged_before: dict[int, int] = field(default_factory=dict)
    deleted: bool = False  # the broker removed the old records (DeleteRecords)
    refusal: str | None = None  # why it did not, when it was asked

    def describe(self, dry_run: bool) -> str:
        if not self.removed:
            return f"{self.topic}: nothing of the customer"
        if dry_run:
            return (f"{self.topic}: would remove {self.removed} record(s) from partition(s) "
                    f"{_listed(self.partitions)}, publishing {self.kept} other(s) again")
        marks = ", ".join(f"p{p}<{offset}" for p, offset in sorted(self.purged_before.items()))
        done = (f"{self.topic}: removed {self.removed} record(s) from partition(s) "
                f"{_listed(self.partitions)}; {self.kept} other record(s) published again; "
                f"purge mark {marks}")
        if self.deleted:
            return done + "; the broker deleted the old records (DeleteRecords)"
        return (done + f"; the broker did not delete the old records ({self.refusal}): their "
                "bytes stay until retention, and inspect and replay skip them")


def _listed(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in sorted(numbers))


class Purger:
    """Takes one customer's records out of dead-letter topics (see the module's text)."""

    def __init__(self, settings: ServiceSettings, customer_id: str, dry_run: bool,
                 progress: Progress) -> None:
        self.settings = settings
        self.customer_id = customer_id
        self.dry_run = dry_run
        self.say = progress
        self.refusal: str | None = None  # once the broker refuses DeleteRecords, ask no more

    async def purge(self, topic: str, producer: AIOKafkaProducer,
                    admin: AIOKafkaAdminClient) -> TopicPurge:
        # A reader per topic: a consumer's metadata follows the partitions it was assigned.
        async with running(self.settings) as consumer:
            return await self._purge(topic, consumer, producer, admin)

    async def _purge(self, topic: str, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer,
                     admin: AIOKafkaAdminClient) -> TopicPurge:
        partitions = partitions_of(consumer, topic)
        wanted = await spans(consumer, partitions,
                             await purge_marks(self.settings, topic, partitions))
        hits = await self._find(consumer, topic, wanted)
        result = TopicPurge(topic, removed=sum(hits.values()),
                            partitions=[tp.partition for tp in hits])
        affected = {tp: wanted[tp] for tp in hits}
        if self.dry_run or not hits:
            result.kept = sum(len(span) for span in affected.values()) - result.removed
            return result
        positions = await committed(self.settings, f"{REPLAY_GROUP}.{topic}", list(affected))
        result.kept, replayed = await self._publish_others(consumer, producer, affected,
                                                           positions)
        await self._keep_replay_positions(topic, affected, positions, replayed)
        result.purged_before = {tp.partition: span.stop for tp, span in affected.items()}
        await commit(self.settings, f"{PURGE_GROUP}.{topic}",
                     {tp: span.stop for tp, span in affected.items()})
        result.deleted = await self._delete(admin, affected)
        result.refusal = None if result.deleted else self.refusal
        return result

    async def _find(self, consumer: AIOKafkaConsumer, topic: str,
                    wanted: Spans) -> Counter[TopicPartition]:
        total = sum(len(span) for span in wanted.values())
        self.say(f"{topic}: reading {total} record(s)")
        hits: Counter[TopicPartition] = Counter()
        seen = 0
        async for record in records(consumer, wanted):
            seen += 1
            if seen % PROGRESS_EVERY == 0:
                self.say(f"{topic}: read {seen} of {total}")
            if belongs_to(record, self.customer_id):
                hits[TopicPartition(record.topic, record.partition)] += 1
        return hits

    async def _publish_others(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, affected: Spans,
        positions: dict[TopicPartition, int | None],
    ) -> tuple[int, dict[TopicPartition, set[int]]]:
        """Every record of the partitions that is not the customer's, to the same partition.

        Returns how many, and the new offsets of those a replay had already sent.
        """
        sent: list[tuple[TopicPartition, bool, asyncio.Future[RecordMetadata]]] = []
        async for record in records(consumer, affected):
            if belongs_to(record, self.customer_id):
                continue
            partition = TopicPartition(record.topic, record.partition)
            replayed = record.offset < (positions.get(partition) or 0)
            future = await producer.send(
                record.topic, record.value, key=record.key, partition=record.partition,
                timestamp_ms=record.timestamp if record.timestamp >= 0 else None,
                headers=list(record.headers or ()))
            sent.append((partition, replayed, future))
            if len(sent) % SEND_CHUNK == 0:
                await asyncio.gather(*(f for _, _, f in sent[-SEND_CHUNK:]))
            if len(sent) % PROGRESS_EVERY == 0:
                self.say(f"{record.topic}: published {len(sent)} other record(s) again")
        replayed_at: dict[TopicPartition, set[int]] = {tp: set() for tp in affected}
        for partition, replayed, future in sent:
            metadata = await future
            if replayed:
                replayed_at[partition].add(metadata.offset)
        return len(sent), replayed_at

    async def _keep_replay_positions(
        self, topic: str, affected: Spans, positions: dict[TopicPartition, int | None],
        replayed: dict[TopicPartition, set[int]],
    ) -> None:
        """Move the replay position past the copies of records it had already sent, as far
        as they follow the old end without a gap (a record written meanwhile by a service
        stays ahead of it)."""
        moved = {}
        for partition, span in affected.items():
            position = span.stop
            while position in replayed[partition]:
                position += 1
            before = positions.get(partition)
            if before is not None and position > before:
                moved[partition] = position
        if moved:
            await commit(self.settings, f"{REPLAY_GROUP}.{topic}", moved)

    async def _delete(self, admin: AIOKafkaAdminClient, affected: Spans) -> bool:
        if self.refusal is not None:
            return False
        try:
            await admin.delete_records(
                {tp: RecordsToDelete(before_offset=span.stop) for tp, span in affected.items()},
                timeout_ms=10_000)
        except KafkaError as error:
            self.refusal = f"DeleteRecords failed: {type(error).__name__}"
            return False
        return True


async def purge_customer(settings: ServiceSettings, customer_id: str, dry_run: bool = False,
                         topic_names: Iterable[str] | None = None,
                         progress: Progress | None = None) -> list[TopicPurge]:
    """Take one customer's records out of the dead-letter topics (all by default)."""
    purger = Purger(settings, customer_id, dry_run, progress or (lambda line: None))
    options = kafka_client_options(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                max_request_size=4 * MAX_BATCH_BYTES, **options)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **options)
    await producer.start()
    await admin.start()
    try:
        return [await purger.purge(topic, producer, admin)
                for topic in (list(topic_names or ()) or dead_letter_topics())]
    finally:
        await admin.close()
        await producer.stop()


async def erase_dead_letters(settings: ServiceSettings, customer_id: str,
                             dry_run: bool = False) -> dict[str, int]:
    """An erased customer's dead letters out of every dead-letter topic: how many records
    were removed per topic (would be, on a dry run), 0 where there were none."""
    return {purge.topic: purge.removed
            for purge in await purge_customer(settings, customer_id, dry_run)}
