"""Notify's use cases for consumed events: which message a cause calls for, and what the
policy decides about it. Nothing here talks to the gateway: a message to send is written with
status ``due`` (or ``scheduled`` for later) and indexed in ``due`` for the sender.

A cause for a customer whose registration has not arrived yet is stored as ``pending`` and
decided when the registration arrives; after ``pending_grace`` it is suppressed with reason
``no_phone`` (see ``expire_pending``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.notify import domain
from services.notify.domain import NotificationRequest, Policy
from services.notify.handlers.notifications import add_message, announced
from services.notify.repository import NotifyRepository, request_document, request_from
from shared.contracts import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerThanked,
    Event,
    InteractionLogged,
    PointsExpiring,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)


async def request_message(repo: NotifyRepository, policy: Policy,
                          request: NotificationRequest | None, now: datetime) -> list[Event]:
    """Store and decide a message once per cause, whatever the redelivery."""
    if request is None or await repo.notification(request.notification_id) is not None:
        return []
    recipient = await repo.recipient(request.customer_id)
    return await add_message(repo, policy, request_document(request, "pending", now),
                             recipient, now)


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
            outcome = domain.first_decision(request_from(document), recipient, policy, now)
            await repo.record_decision(document, outcome, now)
            events += announced(document, outcome, now)
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
                outcome = domain.Suppress("no_phone")  # no registration came: no number
                await repo.record_decision(document, outcome, now)
                events += announced(document, outcome, now)
    return events
