"""The explicit outcomes scoring's domain returns to its use cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.scoring.domain import (
    BehaviourProfile,
    ScoringConfig,
    VelocityCounts,
    score_registration,
)
from services.scoring.domain.behaviour import ProfileEffect, update_profile, with_person_type
from services.scoring.domain.outcomes import AlreadyRecorded, RecordedOutcome, record_outcome
from services.scoring.domain.redecision import redecide

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_a_change_that_changes_nothing_keeps_nothing(config: ScoringConfig) -> None:
    profile = BehaviourProfile()
    update = update_profile(profile, "regular", profile, config)
    assert update.effect is ProfileEffect.NOTHING_NEW
    assert update.published("c-1", uuid.uuid4()) == []


def test_a_company_is_resegmented_and_published(config: ScoringConfig) -> None:
    before = BehaviourProfile()
    update = update_profile(before, "regular", with_person_type(before, "company"), config)
    assert (update.effect, update.segment) == (ProfileEffect.RESEGMENTED, "company")
    [event] = update.published("c-1", uuid.uuid4())
    assert event.segment == "company"  # type: ignore[attr-defined]


def test_a_profile_that_changes_within_its_segment_is_kept_quietly(
    config: ScoringConfig,
) -> None:
    before = BehaviourProfile()
    after = before.model_copy(update={"questions": 1})
    update = update_profile(before, "regular", after, config)
    assert update.effect is ProfileEffect.KEPT
    assert update.published("c-1", uuid.uuid4()) == []


def test_unchanged_facts_decide_nothing_again(config: ScoringConfig) -> None:
    assert redecide({"missing_fields": []}, "low", BehaviourProfile(), config) is None


def test_the_same_outcome_and_note_again_stays_as_it_was(config: ScoringConfig,
                                                          registration) -> None:
    scored = score_registration(registration(), VelocityCounts(), config)
    decision = {"customer_id": "c-1", **scored.model_dump()}
    previous = {"_id": "c-1", "outcome": "fraud", "note": "chargeback"}
    again = record_outcome(decision, previous, "fraud", "chargeback", "op-1", NOW, config)
    assert again == AlreadyRecorded(previous)
    changed = record_outcome(decision, previous, "legitimate", None, "op-1", NOW, config)
    assert isinstance(changed, RecordedOutcome)
    assert changed.published().outcome == "legitimate"
