"""Notify's periodic jobs: the sender (with the replicas' claims) and the pending expiry;
``schedule`` registers both on the runtime.

The sender hands due messages to the SMS gateway, outside any consume transaction.

One round: take the due ids (from the in-memory mirror of the ``due`` collection, reloaded
at start and every ``reload_every``; never a scan of the history); with replicas sharing the
database (``claim_as``), claim them and keep only those this process holds (``Claims``, below);
re-decide each one (consent may have been withdrawn while it waited for morning; the round's
notifications and recipients read with one query each); then, a slice of ``concurrency``
messages at a time, call the gateway for them at once, mark each sent or failed and publish
``notification.sent`` in one transaction (a unit of work: one bulk write per collection on
MongoDB).

Crash safety: a failed send is tried again ``send_attempts`` rounds, then marked failed; it
stays in ``due`` until then, so a crash loses nothing. A crash after the gateway took a
message and before the mark (one slice at most) sends it again under the same
``notification_id``, which is the gateway's idempotency key; so does a replica that takes
over the claims of one that died, or one whose claim expired while it was stalled (claims
are renewed while a round sends, so a slow gateway alone does not). A write conflict runs
the re-decision or the record again, not the round; the record waits conflicts out for up
to a third of the claim lease or two minutes, whichever is longer. A round that fails for
good releases its claims; its messages come back with the next mirror reload, as a crashed
process's do at its start.

With replicas, each mirror learns of the messages another replica scheduled only at its
next reload. When a replica dies, what it had claimed is sent by another after at most
the claim lease (5 minutes) plus the reload interval (60 s); what it had scheduled and not
claimed, after at most the reload interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from services.notify import handlers
from services.notify.domain import Policy
from services.notify.gateways.sms import GatewayResult, OutboundSms, SmsGateway, make_gateway
from services.notify.handlers import sending
from services.notify.handlers.sending import Sendable
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared.auth import PeopleDirectory
from shared.clock import utc_now
from shared.contracts import Event
from shared.database import Database
from shared.leases import this_process
from shared.outbox import committing
from shared.retries import backoff_s, is_transient_transaction_error, retry_transient
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)
T = TypeVar("T")

Publish = Callable[[Sequence[Event]], Awaitable[None]]
Clock = Callable[[], datetime]
#: The record's waits between write conflicts grow to about a second (full jitter), no more.
RECORD_BACKOFF_STEPS = 6
#: How long the record waits conflicts out at least: longer than a replica killed inside a
#: transaction holds its documents (the survey counters are in every round's transaction), i.e.
#: MongoDB's transactionLifetimeLimitSeconds (60 s by default). The claims are renewed meanwhile.
RECORD_PATIENCE_S = 120.0


@dataclass
class Sender:
    """The sending job: rounds of due messages, decided again (``handlers.sending``), handed
    to the gateway and recorded."""

    db: Database
    repo: NotifyRepository
    gateway: SmsGateway
    policy: Policy
    publish: Publish  # into the transactional outbox (call inside a transaction)
    clock: Clock
    batch: int = 500
    concurrency: int = 32
    send_attempts: int = 5
    retry_after: timedelta = timedelta(seconds=30)
    interval_s: float = 0.5
    # After a wake-up, let the rest of the consumed batch commit so one round takes it all.
    settle_s: float = 0.05
    reload_every: timedelta = timedelta(seconds=60)
    people: PeopleDirectory | None = None  # names the employee in quality surveys
    # Replicas sharing the database claim what they send, each under its own name
    # (shared.leases.this_process()); None: this process is the database's only sender.
    claim_as: str | None = None
    claim_lease: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        self._wakeup = asyncio.Event()
        self._reloaded_at: datetime | None = None
        self.claims = None if self.claim_as is None else \
            Claims(self.repo, self.db, self.claim_as, self.clock, self.claim_lease)

    def wake(self) -> None:
        """Ask for a round now instead of at the next tick (after a consumed batch)."""
        self._wakeup.set()

    async def tick(self) -> None:
        """The periodic job: wait for a wake-up or the interval, then send what is due."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=self.interval_s)
        if self._wakeup.is_set():
            await asyncio.sleep(self.settle_s)
        self._wakeup.clear()
        while await self.send_due() >= self.batch:
            pass

    async def send_due(self) -> int:
        """One round; returns how many due messages it looked at."""
        now = self.clock()
        async with self.db.transaction():  # committed state only: writers hold the lock
            if self._reloaded_at is None or now - self._reloaded_at >= self.reload_every:
                await self.repo.reload_due()
                self._reloaded_at = now
            due = self.repo.take_due(now, self.batch)
        if not due:
            return 0
        if self.claims is None:
            await self._round(due, now)
            return len(due)
        mine = await self.claims.claim(due, now)
        try:
            await self._round(mine, now)
        except BaseException:
            await self.claims.release(mine)
            raise
        return len(due)

    async def _round(self, due: list[str], now: datetime) -> None:
        if not due:
            return
        # A write conflict (with the consumer, or another replica's round) runs the
        # transaction again, not the round.
        to_send = await retry_transient(lambda: self._redecide(due, now), "sms re-decide")
        renewed = contextlib.nullcontext() if self.claims is None else self.claims.renewed(due)
        async with renewed:
            # Sent and recorded a slice at a time: a crash re-sends one slice at most.
            for start in range(0, len(to_send), self.concurrency):
                in_flight = to_send[start:start + self.concurrency]
                results = await self._send_all([message for _, _, message in in_flight])
                await self._until_recorded(in_flight, results, self.clock())
                await self.db.durable()

    async def _until_recorded(self, sent: list[Sendable], results: list[GatewayResult],
                              now: datetime) -> None:
        """Record what the gateway answered, waiting out write conflicts (a consumed unit
        holds its customers' documents until it commits): once the gateway has taken a
        message, only its record keeps it from being sent again. Up to a third of the
        claim lease or ``RECORD_PATIENCE_S``, whichever is longer, while the claims are renewed
        (a crashed replica's open transaction holds the survey counters until the server
        aborts it)."""
        deadline = time.monotonic() + max(self.claim_lease.total_seconds() / 3,
                                          RECORD_PATIENCE_S)
        attempt = 0
        while True:
            try:
                return await self._record_all(sent, results, now)
            except Exception as error:
                if not is_transient_transaction_error(error) or time.monotonic() > deadline:
                    raise
            attempt += 1
            await asyncio.sleep(backoff_s(min(attempt, RECORD_BACKOFF_STEPS)))

    async def _record_all(self, to_send: list[Sendable], results: list[GatewayResult],
                          now: datetime) -> None:
        async with committing(), self.db.unit_of_work():
            await self.publish(await sending.record(
                self.repo, to_send, results, now, send_attempts=self.send_attempts,
                retry_after=self.retry_after))

    async def _redecide(self, due: list[str], now: datetime) -> list[Sendable]:
        async with committing(), self.db.unit_of_work():
            redecided = await sending.redecide(self.repo, self.policy, self.people, due, now)
            await self.publish(redecided.events)
        return redecided.to_send

    async def _send_all(self, messages: list[OutboundSms]) -> list[GatewayResult]:
        limit = asyncio.Semaphore(self.concurrency)

        async def one(message: OutboundSms) -> GatewayResult:
            async with limit:
                try:
                    return await self.gateway.send(message)
                except Exception as error:  # the port promises not to raise; be sure
                    return GatewayResult("failed", reason=f"gateway error: {type(error).__name__}")

        return list(await asyncio.gather(*(one(message) for message in messages)))


#: A candidate whose ``due`` document is not there yet is looked for again this soon: the
#: consume path adds it to the mirror before its transaction commits (MongoDB has no lock
#: that would make the sender wait, as the stand-in has).
RECHECK = timedelta(seconds=1)


@dataclass
class Claims:
    """Claims: replicas sharing notify's database split the due messages, none sent twice.

    Each replica's sender finds due messages in its own mirror of ``due`` (``DueIndex``), so two
    replicas see the same ones. Before a round sends, it claims its candidates with one update
    of their ``due`` documents (``claimed_by``, ``claim_until``): a document is claimed if it is
    due and nobody holds it, its claim has expired, or this process holds it already. Each
    document's update is atomic on the server, so a message is claimed by one replica at a time;
    the round sends only what it claimed (a second read says which, when not all were).

    A claim lasts ``lease`` (5 minutes) and is renewed while the round sends. One message can
    take the HTTP gateway about 3 minutes at worst (4 attempts, each with its timeout for the
    connection, the request and the answer, and 3 waits of up to 30 s for a ``Retry-After``);
    a round of 500, 32 at a time, up to sixteen times that: renewed, a slow round keeps its
    claims, and the lease bounds only how long a dead replica's messages wait. A claim ends
    with the message's record (sent or failed: the document is deleted; tried again later: it
    is rewritten without the claim), or is released when the round fails. A replica that dies
    leaves its claims to expire; the others take them at their next mirror reload after that.

    Claims are written in transactions of their own, retried on a write conflict with backoff
    (``retry_transient``). A write outside a transaction that meets a ``due`` document another
    transaction holds (a consumed unit, or the open transaction of a replica killed mid-round,
    held until the server aborts it) waits on the server instead; on SecantusDB such a wait
    deadlocked the server's transaction registry (seen in the replica fault test).
    """

    repo: NotifyRepository
    db: Database
    holder: str  # shared.leases.this_process()
    clock: Callable[[], datetime]
    lease: timedelta = timedelta(minutes=5)
    # How long a candidate without a ``due`` document is looked for again: longer than a
    # consumed unit takes to commit; after that it was sent (by another replica) or undone.
    missing_grace: timedelta = timedelta(seconds=30)
    _missing_since: dict[str, datetime] = field(default_factory=dict, repr=False)

    async def claim(self, candidates: list[str], now: datetime) -> list[str]:
        """The candidates this process now holds, to send. The others: a message not due
        any more goes back to the mirror at its new time, one not written yet is looked
        for again shortly, one another replica holds is left to it (its mirror reload
        brings it back here if that replica dies and its claim expires)."""
        if not candidates:
            return []
        matched = await self._in_transaction(
            lambda: self.repo.claim_due(candidates, self.holder, now, now + self.lease),
            "sms claims: claim")
        if matched == len(candidates):
            for notification_id in candidates:
                self._missing_since.pop(notification_id, None)
            return candidates
        found = await self.repo.due_documents(candidates)
        mine: list[str] = []
        for notification_id in candidates:
            row = found.get(notification_id)
            if row is None:
                self._look_again(notification_id, now)
                continue
            self._missing_since.pop(notification_id, None)
            if row.get("claimed_by") == self.holder:
                mine.append(notification_id)
            elif row.get("claimed_by") is None:  # rescheduled or released meanwhile
                self.repo.due_index.add(notification_id, max(row["send_at"], now + RECHECK))
        return mine

    def _look_again(self, notification_id: str, now: datetime) -> None:
        first = self._missing_since.setdefault(notification_id, now)
        if now - first < self.missing_grace:
            self.repo.due_index.add(notification_id, now + RECHECK)
        else:
            del self._missing_since[notification_id]

    @contextlib.asynccontextmanager
    async def renewed(self, claimed: list[str]) -> AsyncIterator[None]:
        """Keep the claims while the block runs (a slow gateway outlasting the lease)."""
        renewing = asyncio.create_task(self._renew(claimed))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, claimed: list[str]) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self._in_transaction(lambda: self.repo.extend_claims(
                    claimed, self.holder, self.clock() + self.lease), "sms claims: renew")
            except Exception as error:  # it lasts a lease anyway; the next renewal may work
                log.warning("sms claims: renewal failed (%s)", type(error).__name__)

    async def release(self, claimed: list[str]) -> None:
        """After a failed round: let any replica take them (best effort: they expire)."""
        try:
            await self._in_transaction(
                lambda: self.repo.release_claims(claimed, self.holder), "sms claims: release")
        except Exception as error:
            log.warning("sms claims: release failed (%s); they expire in %s",
                        type(error).__name__, self.lease)

    async def _in_transaction(self, write: Callable[[], Awaitable[T]], what: str) -> T:
        async def once() -> T:
            async with self.db.transaction():
                return await write()
        return await retry_transient(once, what)


def sender_for(runtime: ServiceRuntime, settings: NotifySettings, repo: NotifyRepository,
               policy: Policy) -> Sender:
    """The sender with the configured gateway, attempts, pace and claims."""
    # Replicas share a MongoDB database and claim what they send; the stand-in serves one
    # process (no leases either).
    claim_as = None if runtime.leases is None else this_process()
    return Sender(runtime.db, repo, make_gateway(settings, repo), policy, runtime.publish,
                  utc_now, send_attempts=settings.sms_send_attempts,
                  retry_after=timedelta(seconds=settings.sms_retry_after_s),
                  interval_s=settings.sms_sender_interval_s, people=runtime.people,
                  claim_as=claim_as, claim_lease=timedelta(seconds=settings.sms_claim_lease_s))


def schedule(runtime: ServiceRuntime, sender: Sender, repo: NotifyRepository,
             policy: Policy) -> None:
    """The sender on every replica, the pending expiry once a minute on one."""
    # The job returns after a wake-up or sender.interval_s; the tiny period only restarts it.
    # Every replica sends: the claims split the due messages between them.
    runtime.every("sms-sender", 0.001, sender.tick, each_replica=True)

    async def expire_pending() -> None:
        async with runtime.command():
            await runtime.publish(await handlers.expire_pending(repo, policy, utc_now()))

    runtime.every("pending-expiry", 60, expire_pending)
