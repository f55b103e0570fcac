"""Notify's use cases for consumed events: which message a cause calls for, and what the
policy decides about it. Nothing here talks to the gateway: a message to send is written with
status ``due`` (or ``scheduled`` for later) and indexed in ``due`` for the sender.

A cause for a customer whose registration has not arrived yet is stored as ``pending`` and
decided when the registration arrives; after ``pending_grace`` it is suppressed with reason
``no_phone`` (see ``expire_pending``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.notify import domain
from services.notify.domain import Decision, NotificationRequest, Policy, RecipientState
from services.notify.repository import NotifyRepository, request_document, request_from
from shared.contracts import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerThanked,
    Event,
    InteractionLogged,
    NotificationSent,
    PointsExpiring,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)
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


def rules_view(document: Document, recipient: RecipientState) -> RecipientState:
    """A clarification belongs to the survey it clarifies: the throttle does not hold it."""
    if document.get("clarifies"):
        return replace(recipient, last_survey_at=None, last_survey_id=None)
    return recipient


async def apply_decision(repo: NotifyRepository, document: Document, decision: Decision,
                         now: datetime, counts_now: bool = True,
                         new: bool = False) -> list[Event]:
    """Record a decision on a notification (``new``: not stored yet, one insert then).

    A suppression is published at once; a message to send goes to the due index.
    """
    _id = document["_id"]
    if decision.suppressed:
        changes: dict[str, Any] = {"status": "suppressed", "reason": decision.reason,
                                   "decided_at": now}
    else:
        assert decision.send_at is not None
        changes = {"status": "due" if decision.send_at <= now else "scheduled",
                   "send_at": decision.send_at, "time_zone": decision.time_zone,
                   "decided_at": now}
    if new:
        await repo.insert_notification(document | changes)
    else:
        await repo.update_notification(_id, changes)
    if decision.suppressed:
        if not new:
            await repo.unschedule(_id)
        return [notification_sent(document, "suppressed", decision.reason, now)]
    await repo.schedule(_id, changes["send_at"], new=new)
    if counts_now and document["kind"] in domain.SURVEY_KINDS and not document.get("clarifies"):
        await repo.note_survey(document["customer_id"], _id, changes["send_at"])
    return []


async def request_message(repo: NotifyRepository, policy: Policy,
                          request: NotificationRequest | None, now: datetime) -> list[Event]:
    """Store and decide a message once per cause, whatever the redelivery."""
    if request is None or await repo.notification(request.notification_id) is not None:
        return []
    document = request_document(request, "pending", now)
    recipient = await repo.recipient(request.customer_id)
    if recipient is None:
        await repo.insert_notification(document)
        await repo.add_pending(request.customer_id, request.notification_id, now)
        return []
    return await decide_stored(repo, policy, document, recipient, now, new=True)


async def decide_stored(repo: NotifyRepository, policy: Policy, document: Document,
                        recipient: RecipientState, now: datetime,
                        new: bool = False) -> list[Event]:
    request = request_from(document)
    if request.kind == "why_us_survey":
        # Decided as of the delay: the first purchase's survey, if any, goes first, and the
        # why-us question counts for the throttle only once it is sent.
        decision = domain.decide(request, recipient, policy, now + policy.why_us_delay)
        return await apply_decision(repo, document, decision, now, counts_now=False, new=new)
    decision = domain.decide(request, rules_view(document, recipient), policy, now)
    return await apply_decision(repo, document, decision, now, new=new)


async def on_registered(repo: NotifyRepository, policy: Policy, event: CustomerRegistered,
                        now: datetime) -> Sequence[Event]:
    """Keep the number, language and time zone; decide what waited; ask why-us."""
    zone = domain.zone_for_phone(event.phone)
    await repo.save_recipient(event.customer_id, event.phone, event.language, zone, now)
    recipient = await repo.recipient(event.customer_id)
    assert recipient is not None
    events: list[Event] = []
    for notification_id in await repo.take_pending(event.customer_id):
        document = await repo.notification(notification_id)
        if document is not None and document["status"] == "pending":
            events += await decide_stored(repo, policy, document, recipient, now)
            recipient = await repo.recipient(event.customer_id) or recipient
    events += await request_message(repo, policy, domain.why_us_survey_for(event), now)
    return events


async def on_purchase(repo: NotifyRepository, policy: Policy, event: PurchaseRecorded,
                      now: datetime) -> Sequence[Event]:
    if event.amount < 0:  # a refund is not a service to rate
        return []
    return await request_message(repo, policy, domain.quality_survey_for_purchase(event), now)


async def on_interaction(repo: NotifyRepository, policy: Policy, event: InteractionLogged,
                         now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.quality_survey_for_interaction(event), now)


async def on_lapsed(repo: NotifyRepository, policy: Policy, event: CustomerLapsed,
                    now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.winback_survey_for(event), now)


async def on_referral(repo: NotifyRepository, policy: Policy, event: ReferralCredited,
                      now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.thank_you_for_referral(event), now)


async def on_tier_changed(repo: NotifyRepository, policy: Policy, event: TierChanged,
                          now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.thank_you_for_gold(event), now)


async def on_points_expiring(repo: NotifyRepository, policy: Policy, event: PointsExpiring,
                             now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.points_expiry_notice_for(event), now)


async def on_thanked(repo: NotifyRepository, policy: Policy, event: CustomerThanked,
                     now: datetime) -> Sequence[Event]:
    return await request_message(repo, policy, domain.thank_you_from_operator(event), now)


async def expire_pending(repo: NotifyRepository, policy: Policy, now: datetime) -> list[Event]:
    """Suppress (reason ``no_phone``) what waited longer than the grace for a registration."""
    events: list[Event] = []
    for customer_id in await repo.pending_since_before(now - policy.pending_grace):
        for notification_id in await repo.take_pending(customer_id):
            document = await repo.notification(notification_id)
            if document is not None and document["status"] == "pending":
                events += await apply_decision(
                    repo, document, Decision("suppressed", reason="no_phone"), now)
    return events
