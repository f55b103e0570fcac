"""Behavioural types from what customers do: talk, ask, try, buy, complain.

A profile is a handful of counters updated by pure functions, one per event kind, so the
repository can store it as one document and replay events into it. ``classify`` turns the
counters into a segment and the evidence shown to analysts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain.config import ScoringConfig
from shared.contracts import CustomerSegmented, Event, InteractionLogged, PurchaseRecorded
from shared.contracts.types import PersonType, Segment

# A customer is regular until their behaviour says otherwise: nothing is published for that.
DEFAULT_SEGMENT: Segment = "regular"


class BehaviourProfile(BaseModel):
    """Running counts of one customer's interactions and purchases."""

    model_config = ConfigDict(frozen=True)

    person_type: PersonType = "individual"
    interactions: int = Field(default=0, ge=0)
    total_duration_s: int = Field(default=0, ge=0)
    questions: int = Field(default=0, ge=0)
    complaints: int = Field(default=0, ge=0)
    trials: int = Field(default=0, ge=0)
    open_trials: int = Field(default=0, ge=0, description="Trials not yet followed by a purchase")
    trial_then_purchase: int = Field(default=0, ge=0, description="Trials followed by a purchase")
    purchases: int = Field(default=0, ge=0)
    discounted_purchases: int = Field(default=0, ge=0)
    refunds: int = Field(default=0, ge=0)
    # Facts for re-scoring (domain/rescoring.py); a profile stored before them reads as 0.
    questions_before_purchase: int = Field(
        default=0, ge=0, description="Questions asked while nothing was bought yet")
    chargebacks: int = Field(default=0, ge=0)
    forbidden_payments: int = Field(
        default=0, ge=0, description="Purchases paid by a method the payment policy forbids")
    quick_reversible_first_purchase: bool = Field(
        default=False, description="The first purchase came soon after registering, by a "
                                   "reversible method, with no contact before it")


def apply_interaction(profile: BehaviourProfile, event: InteractionLogged) -> BehaviourProfile:
    """The profile after one more interaction (purchases are counted from purchase events)."""
    trial = event.outcome == "trial"
    return profile.model_copy(
        update={
            "interactions": profile.interactions + 1,
            "total_duration_s": profile.total_duration_s + (event.duration_s or 0),
            "questions": profile.questions + (event.questions or 0),
            "questions_before_purchase": profile.questions_before_purchase
            + ((event.questions or 0) if profile.purchases == 0 else 0),
            "complaints": profile.complaints + (event.outcome == "complaint"),
            "trials": profile.trials + trial,
            "open_trials": profile.open_trials + trial,
        }
    )


def apply_purchase(profile: BehaviourProfile, event: PurchaseRecorded) -> BehaviourProfile:
    """The profile after one more purchase; a negative amount is a refund, not a purchase."""
    if event.amount < 0:
        return profile.model_copy(update={"refunds": profile.refunds + 1})
    return profile.model_copy(
        update={
            "purchases": profile.purchases + 1,
            "discounted_purchases": profile.discounted_purchases + event.discounted,
            "trial_then_purchase": profile.trial_then_purchase + profile.open_trials,
            "open_trials": 0,
        }
    )


def with_person_type(profile: BehaviourProfile, person_type: PersonType) -> BehaviourProfile:
    """The profile once the registration (or an update) tells us who the customer is."""
    return profile.model_copy(update={"person_type": person_type})


def _evidence(profile: BehaviourProfile) -> dict[str, Any]:
    avg = profile.total_duration_s / profile.interactions if profile.interactions else 0.0
    share = profile.discounted_purchases / profile.purchases if profile.purchases else 0.0
    return {
        "interactions": profile.interactions,
        "avg_duration_s": round(avg, 1),
        "questions": profile.questions,
        "purchases": profile.purchases,
        "discounted_share": round(share, 2),
        "trials": profile.trials,
        "trial_then_purchase": profile.trial_then_purchase,
        "complaints": profile.complaints,
        "person_type": profile.person_type,
    }


def classify(profile: BehaviourProfile, config: ScoringConfig) -> tuple[Segment, dict[str, Any]]:
    """The customer's segment and the counts that put them there (keys are plain names).

    Checked in order: company, time_waster, bargain_hunter, interested, chatty, regular.
    """
    rules = config.behaviour
    evidence = _evidence(profile)
    avg = evidence["avg_duration_s"]
    segment: Segment = "regular"
    if profile.person_type == "company":
        segment = "company"
    elif (
        profile.purchases == 0
        and profile.interactions >= rules.time_waster_min_interactions
        and avg >= rules.time_waster_min_avg_duration_s
        and profile.questions >= rules.time_waster_min_questions
    ):
        segment = "time_waster"
    elif (
        profile.purchases >= rules.bargain_hunter_min_purchases
        and evidence["discounted_share"] >= rules.bargain_hunter_discounted_share
    ):
        segment = "bargain_hunter"
    elif profile.trial_then_purchase >= rules.interested_min_trial_conversions:
        segment = "interested"
    elif (
        profile.interactions >= rules.chatty_min_interactions
        and avg >= rules.chatty_min_avg_duration_s
        and profile.purchases >= rules.chatty_min_purchases
    ):
        segment = "chatty"
    return segment, evidence


class ProfileEffect(Enum):
    """What one change did to a customer's stored profile."""

    NOTHING_NEW = "nothing new to keep"  # e.g. an individual's registration
    KEPT = "the profile changed, the segment did not"
    RESEGMENTED = "the segment changed: kept and published"


@dataclass(frozen=True)
class ProfileUpdate:
    """A customer's profile and segment after one change, and what the change did."""

    profile: BehaviourProfile
    segment: Segment
    evidence: dict[str, Any]
    effect: ProfileEffect

    def published(self, customer_id: str, source_event_id: uuid.UUID) -> list[Event]:
        """The segmented event when the segment changed, derived from the source event."""
        if self.effect is not ProfileEffect.RESEGMENTED:
            return []
        return [CustomerSegmented(
            event_id=Event.derived_id(source_event_id, "segmented"),
            customer_id=customer_id, segment=self.segment, evidence=self.evidence,
        )]


def update_profile(before: BehaviourProfile, previous: Segment, after: BehaviourProfile,
                   config: ScoringConfig) -> ProfileUpdate:
    """The profile ``after`` a change to ``before`` (in segment ``previous``), classified."""
    segment, evidence = classify(after, config)
    if segment != previous:
        effect = ProfileEffect.RESEGMENTED
    elif after != before:
        effect = ProfileEffect.KEPT
    else:
        effect = ProfileEffect.NOTHING_NEW
    return ProfileUpdate(after, segment, evidence, effect)
