"""The public event contract (see DESIGN.md, "Events")."""

from shared.contracts import topics
from shared.contracts.events import (
    ALL_EVENTS,
    EVENT_BY_TOPIC,
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerUpdated,
    Event,
    InteractionLogged,
    LoyaltyUpdated,
    NotificationSent,
    OperatorUpdated,
    PurchaseRecorded,
    Reason,
    ReferralCredited,
    SurveyAnswered,
    TierChanged,
)

__all__ = [
    "ALL_EVENTS",
    "EVENT_BY_TOPIC",
    "CustomerLapsed",
    "CustomerRegistered",
    "CustomerScored",
    "CustomerSegmented",
    "CustomerUpdated",
    "Event",
    "InteractionLogged",
    "LoyaltyUpdated",
    "NotificationSent",
    "OperatorUpdated",
    "PurchaseRecorded",
    "Reason",
    "ReferralCredited",
    "SurveyAnswered",
    "TierChanged",
    "topics",
]
