"""The one consume path of every subscriber.

For each fetched batch: every record is validated; the repeats (an ``event_id`` processed
before) and the events about customers erased here (``shared.privacy``) are found with one
query each and dropped; the rest are applied in order, in units of work of up to
``CRM_CONSUMER_UNIT_EVENTS`` events: one transaction runs every event's handler and records
the processed event ids and the derived events (the outbox) with bulk writes. Then the
database is made durable, the outbox is published, and only then are the offsets committed.

- Invalid records (bad JSON, wrong shape, too large) go to ``<topic>.dlq`` at once.
- When one event of a unit fails, the unit is rolled back and its events are applied one by
  one, each in its own transaction, exactly as a unit of one is: a handler that keeps
  failing on one event is retried a bounded number of times with backoff, then that event is
  dead-lettered, and a poison message never blocks its partition.
- A dependency outage (``TRANSIENT`` errors) is not the events' fault: the consumer retries
  with capped backoff until the dependency is back, dead-lettering nothing. A transient error
  that outlasts ``CRM_TRANSIENT_LIMIT_S`` while the database answers a ping is no outage: the
  event is dead-lettered (``transient_persisted``) rather than block its partition for ever.
- An event whose processed id is already stored when its own insert fails (another replica
  applied it after a rebalance, or a commit's reply was lost) is done, never a dead letter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure, PyMongoError

from shared.clock import utc_now
from shared.contracts import CustomerErased, Event, topics
from shared.contracts.types import looks_like_payment_card
from shared.database import Database
from shared.database.port import DeferredResult
from shared.errors import Rejected, is_transient
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, committing
from shared.privacy import Erasures, subject_of
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[Sequence[Event]]]
MAX_OUTAGE_BACKOFF_S = 5.0


#: A location part or key pattern shaped like a field name; anything else may be input.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63})*$")
#: A run of digits with the separators people write phone and card numbers with.
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().-]*\d")
_EMAIL = re.compile(r"[^\s'\"<>(),;]+@[^\s'\"<>(),;]+")


def describe(error: ValidationError) -> str:
    """A validation error as locations and error types: never pydantic's message or
    context, which can echo the input (a custom validator's text, a union's tag), and a
    location part not shaped like a field name (a dict's key is input) shows as ``*``."""
    parts = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        location = ".".join(
            str(part) if isinstance(part, int) or _FIELD_NAME.match(part) or part == "[key]"
            else "*" for part in item["loc"]) or "message"
        parts.append(f"{location}: {item['type']}")
    return "; ".join(parts)[:1000]


def reason_for(error: BaseException) -> str:
    """What a dead letter says about an error: its type and, where it has them, error codes
    and field names. Never an exception's text: pydantic's and E11000's quote values."""
    if isinstance(error, Rejected):  # our own words, which name fields and rules
        return without_values(str(error))[:300]
    name = type(error).__name__
    if isinstance(error, ValidationError):
        return f"{name}: {describe(error)}"
    if isinstance(error, PyMongoError):
        codes = _mongo_codes(error)
        return f"{name}: {codes}" if codes else name
    return name


def _mongo_codes(error: PyMongoError) -> str:
    """A MongoDB error's numeric codes, code names and the key pattern's field names
    (``keyValue`` and ``errmsg`` hold the values and are left out)."""
    details = getattr(error, "details", None)
    entries: list[Any] = [details] if isinstance(details, Mapping) else []
    if isinstance(error, BulkWriteError) and isinstance(details, Mapping):
        entries = list(details.get("writeErrors") or [])[:5]
    said = []
    for entry in entries or [{}]:
        code = entry.get("code", getattr(error, "code", None))
        words = [f"code {code}"] if isinstance(code, int) else []
        code_name = entry.get("codeName")
        if isinstance(code_name, str) and _FIELD_NAME.match(code_name):
            words.append(code_name)
        pattern = entry.get("keyPattern")
        fields = [str(key) for key in pattern if _FIELD_NAME.match(str(key))] if isinstance(
            pattern, Mapping) else []
        if fields:
            words.append("on " + ", ".join(fields))
        if words:
            said.append(" ".join(words))
    return "; ".join(said)


def without_values(text: str) -> str:
    """``text`` with e-mail addresses and phone- or card-like digit runs (seven digits or
    more) masked: a safety net for free text such as a ``Rejected`` message or a reason
    written before reasons named fields only."""
    masked = _EMAIL.sub("<email>", text)
    return _DIGIT_RUN.sub(
        lambda run: "<number>" if sum(ch.isdigit() for ch in run[0]) >= 7 else run[0], masked)


def without_payment_cards(value: bytes, error: ValidationError) -> bytes | None:
    """The message with payment card numbers taken out, when a card number field was refused
    as one (a PAN is kept nowhere, dead letters included); ``None`` when nothing was."""
    fields = {str(item["loc"][-1]) for item in error.errors(include_input=False)
              if item["loc"] and str(item["loc"][-1]) == "card_number"}
    if not fields:
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    redacted = False
    for name in fields:
        raw = document.get(name)
        if isinstance(raw, str) and looks_like_payment_card(raw):
            document[name] = "[payment card number removed]"
            redacted = True
    return json.dumps(document, ensure_ascii=False).encode() if redacted else None


#: The documents a handler will read for these events, by collection (``_id``s).
Reads = Callable[[Sequence[E]], Mapping[str, Iterable[Any]]]


@dataclass(frozen=True)
class Route(Generic[E]):
    """One topic a service consumes: its event model, its handler, and optionally the
    documents its handler reads (read at once for a whole unit of work: see ``Database.
    preload``; a declaration is a hint, a document not named is read when asked for)."""

    topic: str
    event_type: type[E]
    handler: Handler[E]
    reads: Reads[E] | None = None


def is_duplicate_key(error: BaseException) -> bool:
    """A unique index refused a write (E11000), alone or in a bulk write."""
    if isinstance(error, DuplicateKeyError):
        return True
    if isinstance(error, BulkWriteError):
        return any(entry.get("code") == 11000
                   for entry in (error.details or {}).get("writeErrors") or [])
    return isinstance(error, OperationFailure) and error.code == 11000


def processed_record(record: ConsumerRecord, key: str) -> dict[str, Any]:
    """What marks an event as applied (its ``_id``), with where it came from."""
    return {"_id": key, "topic": record.topic, "partition": record.partition,
            "offset": record.offset, "at": utc_now()}


@dataclass
class Pending:
    """A consumed record that parsed, on its way to its handler."""

    record: ConsumerRecord
    route: Route[Any]
    event: Event

    @cached_property
    def key(self) -> str:
        return f"{self.record.topic}:{self.event.event_id}"

    @cached_property
    def subject(self) -> str | None:
        """The customer it is about; an erasure itself is never dropped as one."""
        return None if isinstance(self.event, CustomerErased) else subject_of(self.event)

    @property
    def erases(self) -> str | None:
        """The customer this event erases, if it is an erasure."""
        return str(self.event.customer_id) if isinstance(self.event, CustomerErased) else None

    def about_any(self, erased: set[str]) -> bool:
        return self.subject is not None and self.subject in erased

    def processed_record(self) -> dict[str, Any]:
        return processed_record(self.record, self.key)


class Subscription:
    """All topics one service consumes, in one consumer group, through the consume path.

    One group per service, not per topic: a group's first join takes seconds, and a
    service with nine topics would otherwise wait for nine joins before it is ready.
    """

    def __init__(
        self,
        *,
        routes: Sequence[Route[Any]],
        settings: ServiceSettings,
        db: Database,
        outbox: Outbox,
        broker: KafkaBroker,
        metrics: ServiceMetrics,
    ) -> None:
        self.routes = {route.topic: route for route in routes}
        self.settings = settings
        self.db = db
        self.outbox = outbox
        self.broker = broker
        self.metrics = metrics
        self.processed = db.collection("processed_events")
        self.erasures = Erasures(db)
        self.group_id = f"{settings.kafka_group_prefix}.{settings.service_name}"

    def register(self) -> None:
        subscriber = self.broker.subscriber(
            *self.routes,
            group_id=self.group_id,
            batch=True,
            max_records=self.settings.consumer_max_records,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            fetch_max_wait_ms=self.settings.consumer_fetch_max_wait_ms,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            title=f"{self.settings.service_name} consumer group",
            description="; ".join(
                f"{route.topic}: {(route.event_type.__doc__ or '').strip()}"
                for route in self.routes.values()
            ),
        )
        subscriber(self.on_batch)

    async def on_batch(self, message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord, ...] = message.raw_message  # type: ignore[assignment]
        try:
            await self.consume(records)
            await self.db.durable()
        except BaseException:
            await asyncio.sleep(self.settings.retry_backoff_s)
            # Rewind to the first record of this batch: nothing of it is committed, and what
            # was already applied is skipped as a duplicate on the way through again.
            await message.nack()
            raise
        try:
            await self.outbox.flush()
        except Exception as error:  # written and durable: the relay publishes it later
            log.warning("%s: publish deferred to the outbox relay: %s", self.group_id,
                        type(error).__name__)
        await message.ack()

    async def consume(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply a fetched batch: invalid records dead-lettered, repeats and events about
        erased customers dropped (each found with one query for the whole batch), the rest
        applied in order in units of work of up to ``consumer_unit_events`` events."""
        pending: list[Pending] = []
        for record in records:
            route = self.routes[record.topic]
            event = await self._parse(record, route)
            if event is not None:
                pending.append(Pending(record, route, event))
        if not pending:
            return
        done = await self._processed_among([item.key for item in pending])
        erased = await self.erasures.erased_among(
            subject for item in pending if (subject := item.subject) is not None)
        fresh: list[Pending] = []
        for item in pending:
            if item.key in done:
                self.metrics.events.labels(topic=item.record.topic, result="duplicate").inc()
                continue
            done.add(item.key)  # the same event twice in one batch counts once
            fresh.append(item)
        size = max(1, self.settings.consumer_unit_events)
        for start in range(0, len(fresh), size):
            if start:
                await asyncio.sleep(0)  # requests waiting for the loop go between units
            await self._apply(fresh[start:start + size], erased)

    async def _processed_among(self, keys: list[str]) -> set[str]:
        rows = await self.processed.find({"_id": {"$in": keys}}, {"_id": 1}).to_list()
        return {str(row["_id"]) for row in rows}

    def _drop_if_erased(self, item: Pending, erased: set[str]) -> bool:
        """An event about a customer erased here is dropped: nothing about them comes back."""
        if not item.about_any(erased):
            return False
        self.metrics.events.labels(topic=item.record.topic, result="erased").inc()
        return True

    async def _apply(self, unit: Sequence[Pending], erased: set[str]) -> None:
        """One unit of work: every event's handler, the processed ids and the outbox in one
        transaction. When an event fails inside it, the unit is rolled back and its events
        go one by one through ``_handle`` (retries, dead letters), as a single event does.
        A dependency outage retries the whole unit until the dependency is back."""
        if len(unit) == 1:
            await self._apply_one(unit[0], erased)
            return
        outage_backoff = self.settings.retry_backoff_s
        transient_since: float | None = None
        while True:
            started = time.perf_counter()
            applied: list[Pending] = []
            dropped: list[Pending] = []
            now_erased = set(erased)
            try:
                async with committing(), self.db.unit_of_work():
                    await self._preload(unit)
                    derived: list[Event] = []
                    for item in unit:
                        if item.about_any(now_erased):
                            dropped.append(item)
                            continue
                        derived.extend(await item.route.handler(item.event))
                        applied.append(item)
                        if item.erases:
                            now_erased.add(item.erases)
                    if applied:
                        await self.processed.insert_many(
                            [item.processed_record() for item in applied])
                    await self.outbox.add(derived)
            except Exception as error:
                transient = is_transient(error)
                if transient:
                    transient_since = transient_since or time.monotonic()
                if transient and not await self._transient_for_too_long(
                        transient_since or time.monotonic()):
                    # the dependency's fault, not the events': wait
                    self.metrics.retries.labels(topic=unit[0].record.topic, kind="outage").inc()
                    log.warning("%s: dependency unavailable (%s), retrying %d events in %.1fs",
                                self.group_id, type(error).__name__, len(unit), outage_backoff)
                    await asyncio.sleep(outage_backoff)
                    outage_backoff = min(outage_backoff * 2, MAX_OUTAGE_BACKOFF_S)
                    continue
                # DeferredResult is the code's fault (a handler reads a kept write's result):
                # correct one by one, but every unit pays twice, so ops should hear of it.
                log.log(logging.WARNING if isinstance(error, DeferredResult) else logging.INFO,
                        "%s: a unit of %d events failed (%s); applying them one by one",
                        self.group_id, len(unit), type(error).__name__)
                for item in unit:
                    await self._apply_one(item, erased)
                return
            erased.update(now_erased)
            share = (time.perf_counter() - started) / max(1, len(applied))
            for item in dropped:
                self.metrics.events.labels(topic=item.record.topic, result="erased").inc()
            for item in applied:
                self.metrics.events.labels(topic=item.record.topic, result="processed").inc()
                self.metrics.handle_seconds.labels(topic=item.record.topic).observe(share)
            return

    async def _preload(self, unit: Sequence[Pending]) -> None:
        """Read what the unit's handlers declared they read, one query per collection."""
        by_topic: dict[str, list[Event]] = {}
        for item in unit:
            by_topic.setdefault(item.route.topic, []).append(item.event)
        wanted: dict[str, list[Any]] = {}
        for topic, events in by_topic.items():
            reads = self.routes[topic].reads
            for collection, ids in (reads(events) if reads else {}).items():
                wanted.setdefault(collection, []).extend(ids)
        for collection, ids in wanted.items():
            await self.db.preload(collection, ids)

    async def _apply_one(self, item: Pending, erased: set[str]) -> None:
        """One event in its own transaction (a unit of one, or after its unit failed)."""
        if self._drop_if_erased(item, erased):
            return
        if await self.processed.find_one({"_id": item.key}) is not None:
            # e.g. applied by another consumer of the group since the batch was read
            self.metrics.events.labels(topic=item.record.topic, result="duplicate").inc()
            return
        started = time.perf_counter()
        if await self._handle(item.record, item.route, item.event, item.key):
            if item.erases:
                erased.add(item.erases)
            self.metrics.handle_seconds.labels(topic=item.record.topic).observe(
                time.perf_counter() - started)

    async def _parse(self, record: ConsumerRecord, route: Route[Any]) -> Event | None:
        value = record.value
        if value is None or len(value) == 0:
            await self.dead_letter(record, "empty message", "invalid")
            return None
        if len(value) > self.settings.max_event_bytes:
            await self.dead_letter(
                record, f"message of {len(value)} bytes exceeds the limit of "
                f"{self.settings.max_event_bytes}", "too_large",
            )
            return None
        try:
            return route.event_type.from_wire(value)
        except ValidationError as error:
            await self.dead_letter(record, describe(error), "invalid",
                                   value=without_payment_cards(value, error))
            return None

    async def _handle(self, record: ConsumerRecord, route: Route[Any], event: Event,
                      key: str) -> bool:
        """Apply one event in its own transaction, with retries; whether it was applied
        (``False``: dead-lettered)."""
        attempt = 0
        outage_backoff = self.settings.retry_backoff_s
        transient_since: float | None = None
        while True:
            try:
                async with committing(), self.db.transaction():
                    derived = await route.handler(event)
                    await self.processed.insert_one(processed_record(record, key))
                    await self.outbox.add(derived)
                self.metrics.events.labels(topic=record.topic, result="processed").inc()
                return True
            except Rejected as error:
                await self.dead_letter(record, reason_for(error), "rejected")
                return False
            except Exception as error:
                if await self._already_applied(key, error):
                    # Another consumer of the group applied it meanwhile (a rebalance, a
                    # zombie), or a commit whose reply was lost did: done, not a failure.
                    self.metrics.events.labels(topic=record.topic, result="duplicate").inc()
                    return True
                if is_transient(error):  # the dependency's fault, not the event's: wait
                    transient_since = transient_since or time.monotonic()
                    if await self._transient_for_too_long(transient_since):
                        await self.dead_letter(
                            record, f"a transient error persisted for "
                            f"{self.settings.transient_limit_s:g} s while the database "
                            f"answered: {reason_for(error)}", "transient_persisted")
                        return False
                    self.metrics.retries.labels(topic=record.topic, kind="outage").inc()
                    log.warning("%s: dependency unavailable (%s), retrying in %.1fs",
                                record.topic, type(error).__name__, outage_backoff)
                    await asyncio.sleep(outage_backoff)
                    outage_backoff = min(outage_backoff * 2, MAX_OUTAGE_BACKOFF_S)
                    continue
                attempt += 1
                if attempt >= self.settings.retry_attempts:
                    await self._give_up(record, error, attempt)
                    return False
                self.metrics.retries.labels(topic=record.topic, kind="error").inc()
                await asyncio.sleep(self.settings.retry_backoff_s * 2 ** (attempt - 1))

    async def _already_applied(self, key: str, error: Exception) -> bool:
        """Whether ``error`` is a duplicate key and the event's processed id is there."""
        if not is_duplicate_key(error):
            return False
        try:
            return await self.processed.find_one({"_id": key}) is not None
        except Exception:  # the database went away: the caller's retry policy decides
            return False

    async def _transient_for_too_long(self, since: float) -> bool:
        """A transient error past ``CRM_TRANSIENT_LIMIT_S`` while the database answers a
        ping is not an outage but a persistent error mislabelled: it must not block the
        partition for ever. (While the database does not answer, the wait goes on.)"""
        if time.monotonic() - since < self.settings.transient_limit_s:
            return False
        try:
            await asyncio.wait_for(self.db.ping(), timeout=2)
        except Exception:
            return False
        return True

    async def _give_up(self, record: ConsumerRecord, error: Exception, attempts: int) -> None:
        # Only the type in the log: an exception's text may quote personal data.
        log.error("%s p%d@%d: handler failed %d times (%s), dead-lettering", record.topic,
                  record.partition, record.offset, attempts, type(error).__name__)
        await self.dead_letter(
            record, f"handler failed {attempts} times: {reason_for(error)}", "handler_error")

    async def dead_letter(self, record: ConsumerRecord, reason: str, kind: str,
                          value: bytes | None = None) -> None:
        """Publish the original bytes (or ``value``, a redacted copy) to ``<topic>.dlq`` with
        the reason and source offset.

        ``reason`` names fields, rules and error codes, never values (``describe``,
        ``reason_for``): the header outlives the record's topic and is shown by ``crm dlq``.
        """
        headers = {
            "crm-dlq-reason": reason,
            "crm-dlq-kind": kind,
            "crm-dlq-source-topic": record.topic,
            "crm-dlq-source-partition": str(record.partition),
            "crm-dlq-source-offset": str(record.offset),
            "crm-dlq-consumer": self.settings.service_name,
            "crm-dlq-failed-at": utc_now().isoformat(),
        }
        if value is not None:
            headers["crm-dlq-redacted"] = "payment card number"
        await self.broker.publish(
            (record.value or b"") if value is None else value, topics.dlq(record.topic),
            key=record.key, headers=headers,
        )
        self.metrics.events.labels(topic=record.topic, result="dead_lettered").inc()
        self.metrics.dead_letters.labels(topic=record.topic, reason=kind).inc()
        # Reasons are built from field names and codes, except a Rejected message: that is
        # free text, masked but not proven clean, so the log names its kind only.
        shown = kind if kind == "rejected" else reason[:300]
        log.warning("%s p%d@%d dead-lettered (%s): %s", record.topic, record.partition,
                    record.offset, kind, shown)
