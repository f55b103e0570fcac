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
    apply_purchase,
    classify,
    decide_from_signals,
    with_person_type,
)
from services.scoring.domain.decision import Trigger, decision_fields
from services.scoring.domain.rescoring import behaviour_facts, observe_payment
from services.scoring.domain.signals import email_signals, name_signals
from services.scoring.live_config import CurrentConfig
from services.scoring.repository import ScoringRepository
from shared.clock import as_utc, utc_now
from shared.contracts import (
    CustomerSegmented,
    CustomerUpdated,
    Event,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.contracts.types import PaymentPolicy

ProfileChange = Callable[[BehaviourProfile], BehaviourProfile]
# A customer is regular until their behaviour says otherwise: nothing is published for that.
DEFAULT_SEGMENT = "regular"


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
    policy: PaymentPolicy = stored["payment_policy"] if stored else "any"
    registered_at = as_utc(stored.get("registered_at")) if stored else None

    def change(profile: BehaviourProfile) -> BehaviourProfile:
        return observe_payment(profile, apply_purchase(profile, event), event, policy,
                               registered_at, config.rescoring)

    segmented, profile = await update_behaviour(
        repo, config, event.customer_id, event.event_id, change)
    return [*segmented, *await rescore(repo, config, stored, profile, event.event_id)]


async def on_customer_updated(
    repo: ScoringRepository, current_config: CurrentConfig, event: CustomerUpdated
) -> Sequence[Event]:
    """A changed name, email or person type: the segment, and the score decided again from
    the registration's signals with the changed ones replaced (published if the band moves)."""
    config = current_config()
    changed = set(event.changed) or set(event.model_fields_set)
    update: dict[str, Any] = {}
    if "full_name" in changed and event.full_name:
        update |= name_signals(event.full_name)
    if "email" in changed:
        update |= email_signals(event.email, config)
    if "person_type" in changed and event.person_type:
        update["person_type"] = event.person_type
    if not update:
        return []
    segmented: list[Event] = []
    if "person_type" in update:
        segmented, _ = await update_behaviour(
            repo, config, event.customer_id, event.event_id,
            lambda profile: with_person_type(profile, update["person_type"]))
    stored = await repo.score(event.customer_id)
    if stored is not None and "email" in changed:
        missing = [f for f in stored["signals"].get("missing_fields", []) if f != "email"]
        update["missing_fields"] = missing if event.email else [*missing, "email"]
    profile = await _profile(repo, event.customer_id)
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
    signals = {**stored["signals"], **(changed_signals or {})}
    facts = behaviour_facts(profile, config.rescoring)
    if facts or "behaviour" in signals:
        signals["behaviour"] = facts
    if signals == stored["signals"]:
        return []
    decision = decide_from_signals(signals, config)
    await repo.save_score({**stored, **decision_fields(decision), "signals": signals,
                           "rescored_at": utc_now(), "rescored_by": trigger})
    if decision.band == stored["band"]:
        return []
    return [decision.to_event(str(stored["customer_id"]),
                              Event.derived_id(source_event_id, "rescored"), trigger)]


async def _profile(repo: ScoringRepository, customer_id: str) -> BehaviourProfile:
    stored = await repo.behaviour_profile(customer_id)
    return BehaviourProfile.model_validate(stored["profile"]) if stored else BehaviourProfile()


async def update_behaviour(
    repo: ScoringRepository, config: ScoringConfig, customer_id: str,
    source_event_id: uuid.UUID, change: ProfileChange,
) -> tuple[list[Event], BehaviourProfile]:
    """Apply one change to the customer's profile; a segmented event if the type changed,
    and the profile after."""
    stored = await repo.behaviour_profile(customer_id)
    before = BehaviourProfile.model_validate(stored["profile"]) if stored else BehaviourProfile()
    previous = stored["segment"] if stored else DEFAULT_SEGMENT
    profile = change(before)
    segment, evidence = classify(profile, config)
    if profile == before and segment == previous:
        return [], profile  # e.g. an individual's registration: nothing new to keep
    await repo.save_behaviour_profile(customer_id, {
        "profile": profile.model_dump(), "segment": segment, "evidence": evidence,
    })
    if segment == previous:
        return [], profile
    return [CustomerSegmented(
        event_id=Event.derived_id(source_event_id, "segmented"),
        customer_id=customer_id, segment=segment, evidence=evidence,
    )], profile
