"""What every use case that makes a message shares: storing it with its first decision,
and the public record of a message's end (crm.notification.sent.v1)."""

from __future__ import annotations

from datetime import datetime

from services.notify import domain
from services.notify.domain import Policy, RecipientState
from services.notify.repository import NotifyRepository, request_from
from shared.contracts import Event, NotificationSent
from shared.database import Document


def notification_sent(document: Document, status: str, reason: str | None,
                      now: datetime) -> NotificationSent:
    """The public record of a message's end; one terminal status per notification."""
    return NotificationSent(
        event_id=Event.derived_id(document["_id"], "notification.sent"),
        occurred_at=now, notification_id=document["_id"],
        customer_id=document["customer_id"], kind=document["kind"],
        status=status, reason=reason,  # type: ignore[arg-type]
        cause=document.get("cause"), thank_you_id=document.get("thank_you_id"),
    )


def announced(document: Document, outcome: domain.AwaitRegistration | domain.Decided,
              now: datetime) -> list[Event]:
    """A suppression is published at once; a queued message when it is sent or fails."""
    if isinstance(outcome, domain.Suppress):
        return [notification_sent(document, "suppressed", outcome.reason, now)]
    return []


async def add_message(repo: NotifyRepository, policy: Policy, document: Document,
                      recipient: RecipientState | None, now: datetime) -> list[Event]:
    """Store a new message (``document``, not stored yet) with its first decision."""
    outcome = domain.on_arrival(request_from(document), recipient, policy, now)
    await repo.add_notification(document, outcome, now)
    return announced(document, outcome, now)
