"""A stored score, or its explanation, as the reader asking may see it."""

from __future__ import annotations

from typing import Any

from services.scoring.domain.explanation import explain, without_names
from services.scoring.repository import ScoringRepository
from services.scoring.settings import CurrentConfig
from shared.auth import Principal
from shared.database import Document


class NoScore(LookupError):
    """No decision is stored for this customer (unknown, or erased)."""


async def score(repo: ScoringRepository, current_config: CurrentConfig, customer_id: str,
                by: Principal, explained: bool = False) -> dict[str, Any]:
    """The latest score (or, ``explained``, the recorded decision beside a replay under the
    configuration in force); without the famous name it matched for an analyst."""
    stored = await repo.score(customer_id)
    if stored is None:
        raise NoScore("no score for this customer")
    answer = explain(stored, current_config()) if explained else score_view(stored)
    return answer if by.sees_personal_data else without_names(answer)


def score_view(stored: Document) -> dict[str, Any]:
    """The stored score as the API shows it (signals hold no raw IP, email or phone)."""
    return {key: value for key, value in stored.items() if key not in ("_id", "velocity_ids")}
