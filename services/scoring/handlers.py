"""Scoring's use cases."""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.repository import ScoringRepository
from shared.contracts import CustomerRegistered, CustomerScored, Event

MODEL_VERSION = "placeholder-0"


async def on_registered(repo: ScoringRepository, event: CustomerRegistered) -> Sequence[Event]:
    """Placeholder rule until the real model lands: every registration is low risk."""
    scored = CustomerScored(
        event_id=Event.derived_id(event.event_id, "scored"),
        customer_id=event.customer_id, score=0, band="low", reasons=[],
        payment_policy="any", model_version=MODEL_VERSION,
    )
    await repo.save_score({"_id": event.customer_id, **scored.model_dump(mode="json")})
    return [scored]
