"""Calls, purchases and profile changes: the behaviour profile (segment) and, when the facts
behind a stored decision changed, the score decided again."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from services.scoring.domain import (
    BehaviourProfile,
    ScoringConfig,
    apply_interaction,
    with_person_type,
)
from services.scoring.domain.behaviour import ProfileEffect, update_profile
from services.scoring.domain.decision import Trigger
from services.scoring.domain.redecision import redecide
from services.scoring.domain.rescoring import observe_purchase
from services.scoring.domain.signals import updated_signals
from services.scoring.repository import ScoringRepository, rescored_document
from services.scoring.settings import CurrentConfig
from shared.clock import as_utc, utc_now
from shared.contracts import CustomerUpdated, Event, InteractionLogged, PurchaseRecorded

ProfileChange = Callable[[BehaviourProfile], BehaviourProfile]


async def on_interaction(
    repo: ScoringRepository, current_config: CurrentConfig, event: InteractionLogged
) -> Sequence[Event]:
    """The behaviour profile (segment); and a new score when the calls move the band."""
    config = current_config()
    segmented, profile = await update_behaviour(
        repo, config, event.customer_id, event.event_id,
        lambda profile: apply_interaction(profile, event),
    )
    stored = await repo.score(event.customer_id)
    return [*segmented, *await rescore(repo, config, stored, profile, event.event_id)]


async def on_purchase(
    repo: ScoringRepository, current_config: CurrentConfig, event: PurchaseRecorded
) -> Sequence[Event]:
    """The behaviour profile (segment); and a new score when the purchase, a refund or a
    chargeback moves the band (see ``domain.rescoring``)."""
    config = current_config()
    stored = await repo.score(event.customer_id)
    policy = stored["payment_policy"] if stored else None
    registered_at = as_utc(stored.get("registered_at")) if stored else None
    segmented, profile = await update_behaviour(
        repo, config, event.customer_id, event.event_id,
        lambda profile: observe_purchase(profile, event, policy, registered_at,
                                         config.rescoring))
    return [*segmented, *await rescore(repo, config, stored, profile, event.event_id)]


async def on_customer_updated(
    repo: ScoringRepository, current_config: CurrentConfig, event: CustomerUpdated
) -> Sequence[Event]:
    """A changed name, email or person type: the segment, and the score decided again from
    the registration's signals with the changed ones replaced (published if the band moves)."""
    config = current_config()
    stored = await repo.score(event.customer_id)
    update = updated_signals(event, stored["signals"] if stored else None, config)
    if not update:
        return []
    segmented: list[Event] = []
    if "person_type" in update:
        segmented, profile = await update_behaviour(
            repo, config, event.customer_id, event.event_id,
            lambda profile: with_person_type(profile, update["person_type"]))
    else:
        profile, _ = await repo.profile_and_segment(event.customer_id)
    return [*segmented, *await rescore(repo, config, stored, profile, event.event_id,
                                       update, trigger="profile")]


async def rescore(repo: ScoringRepository, config: ScoringConfig, stored: dict[str, Any] | None,
                  profile: BehaviourProfile, source_event_id: uuid.UUID,
                  changed_signals: dict[str, Any] | None = None,
                  trigger: Trigger = "behaviour") -> list[Event]:
    """Decide again when the facts behind a stored decision changed; publish the new score
    only when the band moved. A customer scoring never saw register is left alone."""
    if stored is None:
        return []
    redecision = redecide(stored["signals"], stored["band"], profile, config, changed_signals)
    if redecision is None:
        return []
    await repo.save_score(rescored_document(stored, redecision, utc_now(), trigger))
    return redecision.published(str(stored["customer_id"]), source_event_id, trigger)


async def update_behaviour(
    repo: ScoringRepository, config: ScoringConfig, customer_id: str,
    source_event_id: uuid.UUID, change: ProfileChange,
) -> tuple[list[Event], BehaviourProfile]:
    """Apply one change to the customer's profile; a segmented event if the type changed,
    and the profile after."""
    before, segment = await repo.profile_and_segment(customer_id)
    update = update_profile(before, segment, change(before), config)
    if update.effect is not ProfileEffect.NOTHING_NEW:
        await repo.save_profile(customer_id, update)
    return update.published(customer_id, source_event_id), update.profile
