"""Scoring's use cases: an event (or a query) and the ports in, derived events out.

Each runs inside the consume path's transaction, reading and writing only through
``ScoringRepository``; ``current_config`` returns the scoring configuration in force (see
``LiveConfig``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from services.scoring.domain import (
    BehaviourProfile,
    ScoreDecision,
    ScoringConfig,
    VelocityCounts,
    apply_interaction,
    apply_purchase,
    classify,
    count_and_record_encoded,
    decide_from_signals,
    score_registration,
    velocity_keys,
    with_person_type,
)
from services.scoring.domain.decision import Trigger
from services.scoring.domain.rescoring import behaviour_facts, observe_payment
from services.scoring.domain.signals import email_signals, name_signals
from services.scoring.live_config import CurrentConfig
from services.scoring.repository import ScoringRepository, velocity_id
from shared.clock import as_utc, utc_now
from shared.contracts import (
    CustomerRegistered,
    CustomerSegmented,
    CustomerUpdated,
    Event,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.contracts.types import PaymentPolicy, PersonType

ProfileChange = Callable[[BehaviourProfile], BehaviourProfile]
# A customer is regular until their behaviour says otherwise: nothing is published for that.
DEFAULT_SEGMENT = "regular"
DECISION_FIELDS = ("score", "band", "reasons", "payment_policy", "model_version",
                   "company_recognised")


async def on_registered(
    repo: ScoringRepository, current_config: CurrentConfig, event: CustomerRegistered
) -> Sequence[Event]:
    """Score a new registration, keep the decision with its signals, publish the score."""
    config = current_config()
    counts, lists = await count_velocity(repo, event, config)
    decision = score_registration(event, counts, config)
    # The velocity lists it entered (digests), so that an erasure finds them without a scan.
    await repo.save_score({**score_document(event, decision), "velocity_ids": lists})
    scored = decision.to_event(event.customer_id, Event.derived_id(event.event_id, "scored"))
    # A company registered as an individual (a legal form and a corporate domain) is one.
    person_type: PersonType = "company" if decision.company_recognised else event.person_type
    typed, _ = await update_behaviour(
        repo, config, event.customer_id, event.event_id,
        lambda profile: with_person_type(profile, person_type),
    )
    return [scored, *typed]


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


def score_document(event: CustomerRegistered, decision: ScoreDecision) -> dict[str, Any]:
    return {
        "_id": event.customer_id,
        "customer_id": event.customer_id,
        **decision_fields(decision),
        "signals": decision.signals,
        "registered_at": event.occurred_at,
        "scored_at": utc_now(),
        "registration_event_id": str(event.event_id),
    }


def decision_fields(decision: ScoreDecision) -> dict[str, Any]:
    return decision.model_dump(mode="json", include=set(DECISION_FIELDS))


def score_view(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored score as the API shows it (signals hold no raw IP, email or phone)."""
    return {key: value for key, value in stored.items() if key not in ("_id", "velocity_ids")}


def explain(stored: dict[str, Any], config: ScoringConfig) -> dict[str, Any]:
    """The stored decision beside a replay of its signals under the rules in force now."""
    replayed = decision_fields(decide_from_signals(stored["signals"], config))
    recorded = {key: stored.get(key) for key in DECISION_FIELDS}
    return {
        "customer_id": stored["customer_id"],
        "recorded": recorded,
        "replayed": replayed,
        "same_decision": _same_decision(recorded, replayed),
        "signals": stored["signals"],
    }


def without_names(answer: dict[str, Any]) -> dict[str, Any]:
    """A score or an explanation for someone who sees no personal data (an analyst).

    The famous or placeholder name a registration matched is, near enough, the customer's
    registered name: it leaves the signals and the reasons' details; the reason code and
    the name's category (politician, fictional…) stay, and so does the decision.
    """
    signals = answer.get("signals") or {}
    name = signals.get("famous_name")
    if not name:
        return answer
    redacted = {**answer, "signals": {k: v for k, v in signals.items() if k != "famous_name"}}
    if "reasons" in answer:  # a score
        redacted["reasons"] = _reasons_without(answer["reasons"], name)
    for decision in ("recorded", "replayed"):  # an explanation's two decisions
        if isinstance(answer.get(decision), dict):
            redacted[decision] = {**answer[decision], "reasons": _reasons_without(
                answer[decision].get("reasons"), name)}
    return redacted


def _reasons_without(reasons: list[dict[str, Any]] | None, name: str) -> list[dict[str, Any]]:
    def detail(text: str) -> str:
        return text.replace(f" ({name})", "").replace(name, "…")

    return [{**reason, "detail": detail(str(reason.get("detail", "")))}
            for reason in reasons or []]


def _same_decision(recorded: dict[str, Any], replayed: dict[str, Any]) -> bool:
    def codes(decision: dict[str, Any]) -> list[str]:
        return [reason["code"] for reason in decision["reasons"] or []]

    return codes(recorded) == codes(replayed) and all(
        recorded[key] == replayed[key] for key in ("score", "band", "payment_policy")
    )
