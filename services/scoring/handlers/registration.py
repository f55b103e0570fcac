"""A new registration: its fraud score, and the customer's person type in the profile."""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.domain import (
    ScoringConfig,
    VelocityCounts,
    count_and_record_encoded,
    score_registration,
    velocity_keys,
    with_person_type,
)
from services.scoring.handlers.behaviour import update_behaviour
from services.scoring.live_config import CurrentConfig
from services.scoring.repository import ScoringRepository, score_document, velocity_id
from shared.clock import utc_now
from shared.contracts import CustomerRegistered, Event
from shared.contracts.types import PersonType


async def on_registered(
    repo: ScoringRepository, current_config: CurrentConfig, event: CustomerRegistered
) -> Sequence[Event]:
    """Score a new registration, keep the decision with its signals, publish the score."""
    config = current_config()
    counts, lists = await count_velocity(repo, event, config)
    decision = score_registration(event, counts, config)
    await repo.save_score(score_document(event, decision, lists, utc_now()))
    scored = decision.to_event(event.customer_id, Event.derived_id(event.event_id, "scored"))
    # A company registered as an individual (a legal form and a corporate domain) is one.
    person_type: PersonType = "company" if decision.company_recognised else event.person_type
    typed, _ = await update_behaviour(
        repo, config, event.customer_id, event.event_id,
        lambda profile: with_person_type(profile, person_type),
    )
    return [scored, *typed]


async def count_velocity(
    repo: ScoringRepository, event: CustomerRegistered, config: ScoringConfig
) -> tuple[VelocityCounts, list[str]]:
    """Count earlier registrations per key and record this one (idempotent by customer);
    also the ids of the velocity lists it was recorded in."""
    at = event.occurred_at.timestamp()
    counts: dict[str, int] = {}
    lists: list[str] = []
    for kind, value in velocity_keys(event).items():
        rule = config.velocity.get(kind)  # type: ignore[call-overload]
        if rule is None:
            continue
        list_id = velocity_id(kind, value)
        counts[kind], kept = count_and_record_encoded(
            await repo.velocity_list(list_id), event.customer_id, at, rule.window_seconds)
        await repo.save_velocity_list(list_id, kind, kept)
        lists.append(list_id)
    return VelocityCounts(**counts), lists
