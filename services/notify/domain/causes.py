"""Which message each consumed event calls for, under an id derived from its cause.

The id depends only on the kind and the business cause (the purchase, the interaction, the
lapse episode, the referral), never on the event id of a redelivery, so storing
notifications under ``_id = notification_id`` makes every redelivery a no-op.
"""

from __future__ import annotations

import uuid

from services.notify.domain.policy import NotificationRequest
from services.notify.domain.templates import TemplateKind
from shared.contracts.events import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerThanked,
    InteractionLogged,
    PointsExpiring,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)
from shared.contracts.types import NotificationKind

_NOTIFICATION_NS = uuid.UUID("b8f3c0de-5a41-4c7e-9e2f-0d6a1f4b9c37")


def notification_id(kind: NotificationKind, cause: str) -> str:
    """A stable id such as ``quality_survey:9f0c…`` (at most 47 characters, a valid Identifier)."""
    return f"{kind}:{uuid.uuid5(_NOTIFICATION_NS, f'{kind}|{cause}').hex}"


def quality_survey_for_purchase(event: PurchaseRecorded) -> NotificationRequest:
    """Rate whoever served the purchase. The employee is named when the text is written
    (by display name, from the people directory); an unknown one is "our service"."""
    return NotificationRequest(
        notification_id=notification_id("quality_survey", f"purchase:{event.purchase_id}"),
        customer_id=event.customer_id,
        kind="quality_survey",
        template="quality_survey",
        occurred_at=event.occurred_at,
        employee_id=event.employee_id,
    )


def quality_survey_for_interaction(event: InteractionLogged) -> NotificationRequest | None:
    """Rate the operator of a call or chat; an inbound SMS is not a service, so none then."""
    if event.channel == "sms":
        return None
    return NotificationRequest(
        notification_id=notification_id("quality_survey", f"interaction:{event.interaction_id}"),
        customer_id=event.customer_id,
        kind="quality_survey",
        template="quality_survey",
        occurred_at=event.occurred_at,
        employee_id=event.operator_id,
    )


def winback_survey_for(event: CustomerLapsed) -> NotificationRequest:
    """One win-back question per lapse episode, i.e. per last purchase before the lapse."""
    episode = event.last_purchase_at.isoformat()
    return NotificationRequest(
        notification_id=notification_id("winback_survey", f"{event.customer_id}:{episode}"),
        customer_id=event.customer_id,
        kind="winback_survey",
        template="winback_survey",
        occurred_at=event.occurred_at,
    )


def why_us_survey_for(event: CustomerRegistered) -> NotificationRequest:
    """The "why do you choose us?" survey, once per customer."""
    return NotificationRequest(
        notification_id=notification_id("why_us_survey", event.customer_id),
        customer_id=event.customer_id,
        kind="why_us_survey",
        template="why_us_survey",
        occurred_at=event.occurred_at,
    )


def thank_you_for_referral(event: ReferralCredited) -> NotificationRequest:
    """Thank the referrer, once per referred customer."""
    return NotificationRequest(
        notification_id=notification_id("thank_you", f"referral:{event.referred_id}"),
        customer_id=event.referrer_id,
        kind="thank_you",
        template="thank_you_referral",
        occurred_at=event.occurred_at,
        context={"bonus_points": str(event.bonus_points)},
        cause="referral",
    )


def thank_you_for_gold(event: TierChanged) -> NotificationRequest | None:
    """Thank a customer who has just reached gold; other tier changes call for nothing."""
    if event.new_tier != "gold" or event.old_tier == "gold":
        return None
    return NotificationRequest(
        notification_id=notification_id("thank_you", f"gold:{event.customer_id}:{event.event_id}"),
        customer_id=event.customer_id,
        kind="thank_you",
        template="thank_you_gold",
        occurred_at=event.occurred_at,
        cause="gold",
    )


def points_expiry_notice_for(event: PointsExpiring) -> NotificationRequest:
    """Tell the customer their points expire soon, once per expiry moment."""
    return NotificationRequest(
        notification_id=notification_id(
            "points_expiry", f"{event.customer_id}:{event.expires_at.isoformat()}"),
        customer_id=event.customer_id,
        kind="points_expiry",
        template="points_expiry",
        occurred_at=event.occurred_at,
        context={"points": str(event.points), "date": event.expires_at.date().isoformat()},
    )


def thank_you_from_operator(event: CustomerThanked) -> NotificationRequest:
    """An operator's thank-you, once per thank_you_id. A resolved complaint is thanked for
    the patience; other reasons get the general words; bonus points are named when given."""
    wording = "thank_you_complaint" if event.reason == "complaint_resolved" else "thank_you_manual"
    template: TemplateKind = (
        f"{wording}_points" if event.bonus_points else wording)  # type: ignore[assignment]
    return NotificationRequest(
        notification_id=notification_id("thank_you", f"manual:{event.thank_you_id}"),
        customer_id=event.customer_id,
        kind="thank_you",
        template=template,
        occurred_at=event.occurred_at,
        context={"bonus_points": str(event.bonus_points)},
        cause="manual",
        thank_you_id=event.thank_you_id,
    )
