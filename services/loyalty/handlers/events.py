"""The events loyalty's use cases publish about an account, built one way."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.loyalty.domain import Account, loyalty_figures
from services.loyalty.domain.tiers import TierChange
from shared.contracts import LoyaltyUpdated, TierChanged


def loyalty_updated(event_id: uuid.UUID, account: Account, points_delta: int,
                    now: datetime) -> LoyaltyUpdated:
    """crm.loyalty.updated.v1 for the account as it stands after ``points_delta``."""
    return LoyaltyUpdated(event_id=event_id, **loyalty_figures(account, points_delta, now))


def tier_changed(change: TierChange, event_id: uuid.UUID | None = None) -> TierChanged:
    fields = change.model_dump()
    return TierChanged(**fields) if event_id is None else TierChanged(event_id=event_id, **fields)
