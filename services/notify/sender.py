"""The sender: hands due messages to the SMS gateway, outside any consume transaction.

One round: take the due ids (from the in-memory mirror of the ``due`` collection, reloaded
at start and every ``reload_every``; never a scan of the history), re-decide each one (consent
may have been withdrawn while it waited for morning), call the gateway for the rest with
bounded concurrency, then mark each sent or failed and publish ``notification.sent`` in one
transaction. A failed send is tried again ``send_attempts`` rounds, then marked failed; it
stays in ``due`` until then, so a crash loses nothing. A crash after the gateway took a
message and before the mark sends it again under the same ``notification_id``, which is
the gateway's idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notify import domain
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

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Event]], Awaitable[None]]
Sendable = tuple[Document, RecipientState, OutboundSms]
Clock = Callable[[], datetime]


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

    def __post_init__(self) -> None:
        self._wakeup = asyncio.Event()
        self._reloaded_at: datetime | None = None

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
        to_send = await self._redecide(due, now)
        results = await self._send_all([message for _, _, message in to_send])
        finished = self.clock()
        async with self.db.transaction():
            events: list[Event] = []
            surveys: Counter[str] = Counter()
            for (document, recipient, _), result in zip(to_send, results, strict=True):
                events += await self._record(document, recipient, result, finished, surveys)
            for kind, count in surveys.items():  # one update per kind and round
                await self.repo.count_surveys_sent(kind, count)
            await self.publish(events)
        await self.db.durable()
        return len(due)

    async def _redecide(self, due: list[str], now: datetime) -> list[Sendable]:
        to_send: list[Sendable] = []
        async with self.db.transaction():
            events: list[Event] = []
            for notification_id in due:
                document = await self.repo.notification(notification_id)
                if document is None or document["status"] not in ("due", "scheduled"):
                    await self.repo.unschedule(notification_id)
                    continue
                recipient = await self.repo.recipient(document["customer_id"])
                if recipient is None:  # cannot happen: decided only with a recipient
                    await self.repo.unschedule(notification_id)
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
                      result: GatewayResult, now: datetime,
                      surveys: Counter[str]) -> list[Event]:
        _id, customer_id, kind = document["_id"], document["customer_id"], document["kind"]
        if result.status == "sent":
            await self.repo.update_notification(_id, {
                "status": "sent", "sent_at": now, "reason": None,
                "attempts": document.get("attempts", 0) + 1,
                "provider_message_id": result.provider_message_id})
            await self.repo.unschedule(_id)
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
        await self.repo.unschedule(_id)
        return [notification_sent(document, "failed", reason, now)]
