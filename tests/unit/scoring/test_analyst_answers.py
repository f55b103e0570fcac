"""An analyst reads a score without the famous name a registration matched: that name is,
near enough, the customer's own. Operators and admins see it; the decision is the same."""

from __future__ import annotations

from typing import Any

import pytest

from services.scoring.domain import ScoringConfig
from services.scoring.domain.explanation import explain, without_names
from services.scoring.handlers.registration import on_registered
from services.scoring.handlers.scores import score_view
from services.scoring.repository import ScoringRepository
from shared.contracts import CustomerRegistered
from shared.database.memory import MemoryDatabase


@pytest.fixture
async def stored(config: ScoringConfig, registration: Any) -> dict[str, Any]:
    repo = ScoringRepository(MemoryDatabase("test"))
    event: CustomerRegistered = registration(customer_id="c-famous",
                                             full_name="Alexander Pushkin", ip="8.8.8.8")
    await on_registered(repo, lambda: config, event)
    score = await repo.score("c-famous")
    assert score is not None
    return score


def test_a_full_score_names_the_famous_match(stored: dict[str, Any]) -> None:
    assert "Pushkin" in repr(score_view(stored))  # what operators and admins get


def test_an_analysts_score_keeps_the_decision_without_the_name(stored: dict[str, Any]) -> None:
    full = score_view(stored)

    answer = without_names(full)

    assert "Pushkin" not in repr(answer)
    assert [r["code"] for r in answer["reasons"]] == [r["code"] for r in full["reasons"]]
    assert (answer["score"], answer["band"], answer["payment_policy"]) == (
        full["score"], full["band"], full["payment_policy"])
    assert answer["signals"]["famous_category"] == full["signals"]["famous_category"]
    assert "famous_name" not in answer["signals"]


def test_an_analysts_explanation_has_no_name_either(
    stored: dict[str, Any], config: ScoringConfig,
) -> None:
    full = explain(stored, config)
    assert "Pushkin" in repr(full)

    answer = without_names(full)

    assert "Pushkin" not in repr(answer)
    assert answer["same_decision"] is True
    assert answer["replayed"]["score"] == full["replayed"]["score"]


def test_a_score_without_a_famous_match_is_unchanged(
    config: ScoringConfig, stored: dict[str, Any],
) -> None:
    plain = {**stored, "signals": {**stored["signals"], "famous_name": None}}
    assert without_names(plain) is plain
