"""The transactional outbox: events are written with the state change that caused them and
published afterwards, so a crash between the write and the publish loses nothing.

Publishing can repeat an event after a crash; every event id is stable (derived ids for
events caused by other events), so consumers drop the repeat as a duplicate.

Replicas of a service share its outbox collection. Each row names the process that wrote it
(``owner``), and a replica's relay publishes its own rows and, past ``ORPHAN_AFTER``, rows
of any replica (one that died before publishing them): replicas do not publish each other's
fresh events twice, nor fight over deleting them, and a dead replica's events go out late,
never not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextvars import ContextVar
from typing import Any

from shared.broker import raw_producer
from shared.contracts import Event
from shared.database import Database
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

BATCH = 500
JSON_HEADERS = {"content-type": "application/json"}
KAFKA_HEADERS = [(name, value.encode()) for name, value in JSON_HEADERS.items()]


#: How old another replica's pending event must be before this relay publishes it.
ORPHAN_AFTER_S = 30.0

#: What ``Outbox.add`` wrote inside the current ``committing()`` block, by outbox.
_written: ContextVar[list[tuple[Outbox, Sequence[Event]]] | None] = ContextVar(
    "outbox_written", default=None)


@contextlib.asynccontextmanager
async def committing() -> AsyncIterator[None]:
    """Around a transaction (outside it): once the block ends without an error, i.e. the
    transaction committed, every event added to an outbox inside is shown to that outbox's
    ``observe`` (business metrics count committed events, never a handler's attempt: a unit
    of work rolled back and applied again, or a redelivered duplicate, counts once). Nested
    blocks join the outermost one, which observes at its end."""
    if _written.get() is not None:
        yield
        return
    written: list[tuple[Outbox, Sequence[Event]]] = []
    token = _written.set(written)
    try:
        yield
    finally:
        _written.reset(token)
    for outbox, events in written:
        outbox.observed(events)


class Outbox:
    def __init__(self, db: Database, broker: Any, metrics: ServiceMetrics,
                 owner: str | None = None) -> None:
        """``owner``: this process among replicas sharing the database (None: the only one)."""
        self._owner = owner
        self._collection = db.collection("outbox")
        self._db = db
        self._broker = broker
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self._sequence = itertools.count()
        self._wakeup = asyncio.Event()
        #: Shown every committed event (``committing()``): the service's business metrics.
        self.observe: Callable[[Event], None] | None = None

    def observed(self, events: Sequence[Event]) -> None:
        """Show committed events to ``observe``; a failing observer never fails a commit."""
        if self.observe is None:
            return
        for event in events:
            try:
                self.observe(event)
            except Exception as error:
                log.warning("outbox: observing %s failed: %s", event.topic,
                            type(error).__name__)

    async def add(self, events: Sequence[Event]) -> None:
        """Record events to publish; call inside the transaction that changes the state."""
        if not events:
            return
        # Sortable ids keep the publish order equal to the commit order.
        await self._collection.insert_many([
            {"_id": f"{time.time_ns():020d}-{next(self._sequence) % 1_000_000:06d}",
             "topic": event.topic, "key": event.key().decode(), "value": event.model_dump_json(),
             **({"owner": self._owner} if self._owner else {})}
            for event in events])
        written = _written.get()
        if written is not None:
            written.append((self, list(events)))
        self._wakeup.set()

    async def flush(self) -> int:
        """Publish everything pending, oldest first; return how many were confirmed."""
        async with self._lock:
            total = 0
            while True:
                pending = await self._collection.find(self._mine()).sort("_id", 1).limit(
                    BATCH).to_list()
                if not pending:
                    break
                # Hand the whole batch to the producer, then wait for every confirmation.
                producer = raw_producer(self._broker)
                sent = [
                    await producer.send(row["topic"], row["value"].encode(),
                                        key=row["key"].encode(), headers=KAFKA_HEADERS)
                    for row in pending
                ] if producer is not None else [
                    await self._broker.publish(
                        row["value"].encode(), row["topic"], key=row["key"].encode(),
                        headers=JSON_HEADERS, no_confirm=True,
                    )
                    for row in pending
                ]
                await asyncio.gather(*(item for item in sent if inspect.isawaitable(item)))
                async with self._db.transaction():
                    await self._collection.delete_many(
                        {"_id": {"$in": [row["_id"] for row in pending]}})
                for row in pending:
                    self._metrics.published.labels(topic=row["topic"]).inc()
                total += len(pending)
            self._metrics.outbox_pending.set(0)
            return total

    def _mine(self) -> dict[str, Any]:
        """The rows this relay publishes: all of them, or with replicas its own and the
        orphans (ids begin with the nanosecond they were written)."""
        if self._owner is None:
            return {}
        orphaned = f"{time.time_ns() - int(ORPHAN_AFTER_S * 1e9):020d}"
        return {"$or": [{"owner": self._owner}, {"_id": {"$lt": orphaned}}]}

    async def pending(self) -> int:
        return await self._collection.count_documents({})

    async def run(self, stop: asyncio.Event, interval_s: float = 0.5) -> None:
        """Background relay: publish promptly when woken, retry on a timer after failures."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=interval_s)
            self._wakeup.clear()
            try:
                await self.flush()
            except Exception as error:  # the broker is away: keep the events, try again
                self._metrics.outbox_pending.set(await self.pending())
                log.warning("outbox: publish failed, will retry: %s", type(error).__name__)
                await asyncio.sleep(interval_s)
