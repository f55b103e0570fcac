"""Notify's use cases: each loads (repository), decides (domain) and saves, returning events.

- ``events``: consumed events -> the messages they call for, decided by the policy; the
  expiry of messages still waiting for a registration.
- ``sending``: the sender's re-decision of due messages and its record of what the gateway
  made of them.
- ``notifications``: what they share: a new message stored with its first decision, and
  crm.notification.sent.v1.
- ``replies``: an inbound SMS (answer, opt-out, opt-in, clarification); the survey summary.
- ``privacy``: erasure and subject access.
"""

from services.notify.handlers.events import (
    expire_pending,
    on_interaction,
    on_lapsed,
    on_points_expiring,
    on_purchase,
    on_referral,
    on_registered,
    on_thanked,
    on_tier_changed,
)

__all__ = [
    "expire_pending",
    "on_interaction",
    "on_lapsed",
    "on_points_expiring",
    "on_purchase",
    "on_referral",
    "on_registered",
    "on_thanked",
    "on_tier_changed",
]
