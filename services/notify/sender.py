"""The sender: hands due messages to the SMS gateway, outside any consume transaction.

One round: take the due ids (from the in-memory mirror of the ``due`` collection, reloaded
at start and every ``reload_every``; never a scan of the history); with replicas sharing the
database (``claim_as``), claim them and keep only those this process holds (``claims``);
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
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notify import domain
from services.notify.claims import Claims
from services.notify.domain import RecipientState
from services.notify.gateway import GatewayResult, OutboundSms, SmsGateway
from services.notify.handlers import (
    Rules,
    apply_decision,
    notification_sent,
    request_from,
    rules_view,
)
from services.notify.repository import NotifyRepository
from shared.auth import PeopleDirectory
from shared.contracts import Event
from shared.database import Database, Document
from shared.outbox import committing
from shared.retries import backoff_s, is_transient_transaction_error, retry_transient

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Event]], Awaitable[None]]
Sendable = tuple[Document, RecipientState, OutboundSms]
Clock = Callable[[], datetime]
#: The record's waits between write conflicts grow to about a second (full jitter), no more.
RECORD_BACKOFF_STEPS = 6
#: How long the record waits conflicts out at least: longer than a replica killed inside a
#: transaction holds its documents (the survey counters are in every round's transaction), i.e.
#: MongoDB's transactionLifetimeLimitSeconds (60 s by default). The claims are renewed meanwhile.
RECORD_PATIENCE_S = 120.0


@dataclass
class Sender:
    db: Database
    repo: NotifyRepository
    gateway: SmsGateway
    rules: Rules
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
                sending = to_send[start:start + self.concurrency]
                results = await self._send_all([message for _, _, message in sending])
                await self._until_recorded(sending, results, self.clock())
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
            events: list[Event] = []
            surveys: Counter[str] = Counter()
            done: list[str] = []
            for (document, recipient, _), result in zip(to_send, results, strict=True):
                events += await self._record(document, recipient, result, now, surveys, done)
            await self.repo.unschedule_many(done)
            for kind, count in surveys.items():  # one update per kind and round
                await self.repo.count_surveys_sent(kind, count, now)
            await self.publish(events)

    async def _redecide(self, due: list[str], now: datetime) -> list[Sendable]:
        to_send: list[Sendable] = []
        async with committing(), self.db.unit_of_work():
            documents = await self.repo.notifications_by_id(due)
            recipients = await self.repo.recipients_of(
                document["customer_id"] for document in documents.values())
            events: list[Event] = []
            dropped: list[str] = []
            for notification_id in due:
                document = documents.get(notification_id)
                if document is None or document["status"] not in ("due", "scheduled"):
                    dropped.append(notification_id)
                    continue
                recipient = recipients.get(document["customer_id"])
                if recipient is None:  # cannot happen: decided only with a recipient
                    dropped.append(notification_id)
                    continue
                decision = domain.decide(request_from(document), rules_view(document, recipient),
                                         self.rules.policy, now)
                if decision.suppressed or (decision.send_at and decision.send_at > now):
                    events += await apply_decision(self.repo, document, decision, now,
                                                   counts_now=False)
                    continue
                text = document.get("text") or domain.render(
                    document["template"], recipient.language,
                    await self._context(document, recipient.language))
                assert recipient.phone is not None
                to_send.append((document, recipient,
                                OutboundSms(notification_id, recipient.phone, text)))
            await self.repo.unschedule_many(dropped)
            await self.publish(events)
        return to_send

    async def _context(self, document: Document, language: str | None) -> dict[str, Any]:
        """The template's values; the employee by display name, in the customer's script
        where the directory has one (an id the directory does not know names nobody)."""
        context = dict(document.get("context") or {})
        employee_id = document.get("employee_id")
        if employee_id and self.people is not None:
            person = await self.people.person(employee_id)
            if person is not None:
                context["employee"] = person.short_name_in(language)
        return context

    async def _send_all(self, messages: list[OutboundSms]) -> list[GatewayResult]:
        limit = asyncio.Semaphore(self.concurrency)

        async def one(message: OutboundSms) -> GatewayResult:
            async with limit:
                try:
                    return await self.gateway.send(message)
                except Exception as error:  # the port promises not to raise; be sure
                    return GatewayResult("failed", reason=f"gateway error: {type(error).__name__}")

        return list(await asyncio.gather(*(one(message) for message in messages)))

    async def _record(self, document: Document, recipient: RecipientState,
                      result: GatewayResult, now: datetime, surveys: Counter[str],
                      done: list[str]) -> list[Event]:
        """Mark one message; ``done`` collects those to take out of ``due`` (at once)."""
        _id, customer_id, kind = document["_id"], document["customer_id"], document["kind"]
        if result.status == "sent":
            await self.repo.update_notification(_id, {
                "status": "sent", "sent_at": now, "reason": None,
                "attempts": document.get("attempts", 0) + 1,
                "provider_message_id": result.provider_message_id})
            done.append(_id)
            if kind in domain.SURVEY_KINDS and not document.get("clarifies"):
                if recipient.last_survey_id != _id:  # the why-us survey counts once sent
                    await self.repo.note_survey(customer_id, _id, now)
                await self.repo.open_a_survey(customer_id, domain.OpenSurvey(
                    survey_id=_id, kind=kind, sent_at=now, language=recipient.language,
                    employee_id=document.get("employee_id")))
                surveys[kind] += 1
            return [notification_sent(document, "sent", None, now)]
        attempts = document.get("attempts", 0) + 1
        reason = (result.reason or "gateway failure")[:200]
        if attempts < self.send_attempts:
            log.warning("sms %s not sent (attempt %d of %d): %s", _id, attempts,
                        self.send_attempts, reason)
            retry_at = now + self.retry_after * attempts
            await self.repo.update_notification(_id, {"attempts": attempts, "reason": reason,
                                                      "send_at": retry_at})
            await self.repo.schedule(_id, retry_at)
            return []
        log.error("sms %s failed for good after %d attempts: %s", _id, attempts, reason)
        await self.repo.update_notification(_id, {"status": "failed", "attempts": attempts,
                                                  "reason": reason, "failed_at": now})
        done.append(_id)
        return [notification_sent(document, "failed", reason, now)]
