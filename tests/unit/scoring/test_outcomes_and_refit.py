"""Recorded outcomes, the figures on them, and the re-fit the evaluation proposes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import pytest

from evaluation.refit import (
    Sample,
    as_points,
    enough_to_fit,
    fit,
    flagging,
    outcome_lines,
)
from services.scoring.api.schemas import OutcomeRequest
from services.scoring.domain import ScoringConfig, firing_codes
from services.scoring.handlers import outcomes
from services.scoring.handlers.registration import on_registered
from services.scoring.handlers.scores import NoScore
from services.scoring.repository import ScoringRepository
from shared.auth import Principal, Role
from shared.contracts import CustomerRegistered
from shared.contracts.events import FraudOutcome
from shared.database.memory import MemoryDatabase

ANALYST = Principal(Role.ANALYST, "op-analyst1", person=True)
ADMIN = Principal(Role.ADMIN, "op-admin001", person=True)


@pytest.fixture
def repo() -> ScoringRepository:
    return ScoringRepository(MemoryDatabase("test"))


async def test_an_outcome_is_kept_with_the_decision_and_published_once(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    await on_registered(repo, lambda: config, registration(full_name="Alexander Pushkin"))
    request = OutcomeRequest(outcome="fraud", note="  chargeback from the bank ")
    answer, events = await outcomes.record(repo, config, "c-1", request.outcome, request.note,
                                           ANALYST)
    assert [type(e) for e in events] == [FraudOutcome]
    event = events[0]
    assert isinstance(event, FraudOutcome)
    assert (event.outcome, event.band, event.recorded_by) == ("fraud", "high", "op-analyst1")
    assert "famous_name" in answer["codes"] and "note" not in answer  # analysts: no note
    again, repeated = await outcomes.record(repo, config, "c-1", request.outcome, request.note,
                                              ADMIN)
    assert repeated == [] and again["note"] == "chargeback from the bank"
    changed, later = await outcomes.record(repo, config, "c-1", "legitimate", None, ADMIN)
    assert len(later) == 1 and changed["outcome"] == "legitimate"
    assert [row["_id"] for row in await repo.outcomes_after(None, 10)] == ["c-1"]


async def test_an_outcome_for_a_customer_without_a_score_is_refused(
    repo: ScoringRepository, config: ScoringConfig,
) -> None:
    with pytest.raises(NoScore):
        await outcomes.record(repo, config, "nobody", "fraud", None, ANALYST)


def test_firing_codes_include_a_code_weighed_zero(config: ScoringConfig) -> None:
    signals = {"person_type": "individual", "registration_country": "RU",
               "phone_valid": True, "phone_country": "RU", "missing_fields": [],
               "keyboard_mash": True, "entered_by": "operator"}
    silenced = config.model_copy(update={"weights": {**config.weights, "keyboard_mash_name": 0}})
    assert "keyboard_mash_name" in firing_codes(signals, silenced)


def test_flagging_counts_precision_recall_and_false_positives() -> None:
    rows = [("high", True), ("high", False), ("medium", True), ("low", False), ("low", True)]
    assert flagging(rows, ("high",)) == {"precision": 0.5, "recall": 1 / 3, "fpr": 0.5}


def test_the_fit_finds_a_telling_code_and_ignores_a_useless_one() -> None:
    samples: Counter[Sample] = Counter({
        (frozenset({"telling"}), True): 90, (frozenset({"telling"}), False): 10,
        (frozenset(), True): 10, (frozenset(), False): 90,
        (frozenset({"useless"}), True): 5, (frozenset({"useless"}), False): 45,
        (frozenset({"useless", "telling"}), True): 45,
        (frozenset({"useless", "telling"}), False): 5,
    })
    intercept, log_odds = fit(samples, ridge=0.001)  # (the default ridge shrinks a little)
    assert log_odds["telling"] == pytest.approx(math.log(81), rel=0.1)
    assert abs(log_odds["useless"]) < 0.2
    assert intercept == pytest.approx(-math.log(9), rel=0.1)


def test_log_odds_become_points_on_the_rules_scale(config: ScoringConfig) -> None:
    base, weights = as_points(-math.log(9), {"famous_name": math.log(9)}, config)
    assert base == config.bands.medium_from  # a 10% chance of fraud: medium begins
    assert base + weights["famous_name"] == config.bands.high_from  # 50%: high begins


def test_a_fit_on_outcomes_needs_enough_of_both_kinds() -> None:
    only_fraud: Counter[Sample] = Counter({(frozenset({"x"}), True): 40})
    assert not enough_to_fit(only_fraud)
    assert enough_to_fit(only_fraud + Counter({(frozenset(), False): 1}))


def test_the_outcome_report_gives_the_figures_and_the_versions() -> None:
    rows = [{"band": "high", "outcome": "fraud", "model_version": "rules-1"},
            {"band": "low", "outcome": "legitimate", "model_version": "rules-1"}]
    text = "\n".join(outcome_lines(rows, "test"))
    assert "2 (fraud 1, legitimate 1)" in text
    assert "  high         100.0%   100.0%     0.0%" in text
    assert "rules-1 (2)" in text
