"""A new registration: its fraud score, and the customer's person type in the profile."""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.domain import score_registration, with_person_type
from services.scoring.domain.decision import person_type_of
from services.scoring.domain.velocity import count_registration, limited_keys
from services.scoring.handlers.behaviour import update_behaviour
from services.scoring.repository import ScoringRepository, score_document
from services.scoring.settings import CurrentConfig
from shared.clock import utc_now
from shared.contracts import CustomerRegistered, Event


async def on_registered(
    repo: ScoringRepository, current_config: CurrentConfig, event: CustomerRegistered
) -> Sequence[Event]:
    """Score a new registration, keep the decision with its signals, publish the score."""
    config = current_config()
    keys = limited_keys(event, config)
    counted = count_registration(await repo.velocity_lists(keys), event.customer_id,
                                 event.occurred_at.timestamp(), config)
    decision = score_registration(event, counted.counts, config)
    list_ids = await repo.save_velocity_lists(keys, counted.lists)
    await repo.save_score(score_document(event, decision, list_ids, utc_now()))
    scored = decision.to_event(event.customer_id, Event.derived_id(event.event_id, "scored"))
    person_type = person_type_of(event, decision)
    typed, _ = await update_behaviour(
        repo, config, event.customer_id, event.event_id,
        lambda profile: with_person_type(profile, person_type),
    )
    return [scored, *typed]
