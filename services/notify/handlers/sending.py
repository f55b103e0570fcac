"""The sender's use cases: deciding due messages again just before they are sent, and
recording what the gateway made of them. The sender (``jobs.Sender``) runs each in a unit
of work of its own and calls the gateway between them, outside any transaction."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.notify import domain
from services.notify.domain import Policy, RecipientState
from services.notify.gateways.sms import GatewayResult, OutboundSms
from services.notify.handlers.notifications import announced, notification_sent
from services.notify.repository import NotifyRepository, request_from
from shared.auth import PeopleDirectory
from shared.contracts import Event
from shared.database import Document

log = logging.getLogger(__name__)

Sendable = tuple[Document, RecipientState, OutboundSms]


@dataclass
class Redecided:
    """The messages to hand to the gateway, and the events of those that were not."""

    to_send: list[Sendable] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


async def redecide(repo: NotifyRepository, policy: Policy, people: PeopleDirectory | None,
                   due: list[str], now: datetime) -> Redecided:
    """Decide the round's due messages again (their notifications and recipients read with
    one query each): send, later after all, or suppressed; the ones gone are dropped."""
    documents = await repo.notifications_by_id(due)
    recipients = await repo.recipients_of(
        document["customer_id"] for document in documents.values())
    redecided = Redecided()
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
        outcome = domain.before_sending(request_from(document), recipient, policy, now)
        match outcome:
            case domain.Send():
                text = document.get("text") or domain.render(
                    document["template"], recipient.language,
                    await _context(people, document, recipient.language))
                assert recipient.phone is not None
                redecided.to_send.append((document, recipient,
                                          OutboundSms(notification_id, recipient.phone, text)))
            case domain.Suppress() | domain.Queue():
                await repo.record_decision(document, outcome, now)
                redecided.events += announced(document, outcome, now)
    await repo.unschedule_many(dropped)
    return redecided


async def _context(people: PeopleDirectory | None, document: Document,
                   language: str | None) -> dict[str, Any]:
    """The template's values; the employee by display name, in the customer's script
    where the directory has one (an id the directory does not know names nobody)."""
    context = dict(document.get("context") or {})
    employee_id = document.get("employee_id")
    if employee_id and people is not None:
        person = await people.person(employee_id)
        if person is not None:
            context["employee"] = person.short_name_in(language)
    return context


async def record(repo: NotifyRepository, sent: list[Sendable], results: list[GatewayResult],
                 now: datetime, *, send_attempts: int, retry_after: timedelta) -> list[Event]:
    """Mark each message sent (a survey opens), to try again later (``send_attempts`` in
    all, waiting ``retry_after`` times the attempts made), or failed; take the ended ones out
    of ``due`` at once and count the surveys sent once per kind."""
    events: list[Event] = []
    surveys: Counter[str] = Counter()
    done: list[str] = []
    for (document, recipient, _), result in zip(sent, results, strict=True):
        outcome = domain.after_attempt(
            request_from(document), recipient, document.get("attempts", 0),
            sent=result.status == "sent", provider_message_id=result.provider_message_id,
            failure=result.reason, send_attempts=send_attempts,
            retry_after=retry_after, now=now)
        await repo.record_attempt(document, outcome, now)
        _id = document["_id"]
        match outcome:
            case domain.Delivered():
                done.append(_id)
                if outcome.survey is not None:
                    surveys[outcome.survey.kind] += 1
                events.append(notification_sent(document, "sent", None, now))
            case domain.TryAgain():
                log.warning("sms %s not sent (attempt %d of %d): %s", _id, outcome.attempts,
                            send_attempts, outcome.reason)
            case domain.GiveUp():
                log.error("sms %s failed for good after %d attempts: %s", _id,
                          outcome.attempts, outcome.reason)
                done.append(_id)
                events.append(notification_sent(document, "failed", outcome.reason, now))
    await repo.unschedule_many(done)
    for kind, count in surveys.items():  # one update per kind and round
        await repo.count_surveys_sent(kind, count, now)
    return events
