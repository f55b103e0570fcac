"""Loyalty's use cases, each reading load (repository) -> decide (domain) -> save
(repository) and returning the events to publish: the event handlers, the HTTP commands
(tier floor, redemption), the reports' reads and privacy (erasure, holdings).

Every one runs inside the caller's transaction (the consume path's, or the HTTP route's).
"""

from services.loyalty.handlers.customers import (
    on_interaction,
    on_registered,
    on_segmented,
    on_updated,
    set_tier_floor,
)
from services.loyalty.handlers.events import loyalty_updated, tier_changed
from services.loyalty.handlers.purchases import on_purchase
from services.loyalty.handlers.thank_yous import on_thanked

__all__ = [
    "loyalty_updated",
    "on_interaction",
    "on_purchase",
    "on_registered",
    "on_segmented",
    "on_thanked",
    "on_updated",
    "set_tier_floor",
    "tier_changed",
]
