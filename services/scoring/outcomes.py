"""Outcomes: what really happened to a scored customer, recorded by an analyst or admin.

``POST /api/scores/{customer_id}/outcome`` keeps the outcome beside the decision in force
then (score, band, model version and the reason codes its signals fire under every rule),
publishes ``crm.fraud.outcome.v1``, and ``GET /api/scores/outcomes`` pages through them for
``make eval-scoring``, which measures the rules on them and proposes re-fitted weights.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain import ScoringConfig, firing_codes
from services.scoring.repository import ScoringRepository
from shared.auth import Principal
from shared.clock import utc_now
from shared.contracts import Event
from shared.contracts.events import FraudOutcome
from shared.database import Document

Outcome = Literal["fraud", "legitimate"]


class OutcomeRequest(BaseModel):
    """``POST /api/scores/{customer_id}/outcome``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Outcome = Field(description="fraud: it was; legitimate: it was not.")
    note: str | None = Field(default=None, max_length=500,
                             description="For colleagues (no personal data); kept in scoring, "
                                         "never published.")


class NoScore(LookupError):
    """No decision is stored for this customer (unknown, or erased)."""


async def record(repo: ScoringRepository, config: ScoringConfig, customer_id: str,
                 request: OutcomeRequest, by: Principal) -> tuple[dict[str, Any], list[Event]]:
    """The outcome as kept, and the event (none when the same outcome is recorded again)."""
    stored = await repo.score(customer_id)
    if stored is None:
        raise NoScore("no score for this customer")
    previous = await repo.outcome(customer_id)
    if previous and (previous["outcome"], previous.get("note")) == (request.outcome,
                                                                     request.note):
        return view(previous, by), []
    document = {
        "_id": customer_id, "customer_id": customer_id, "outcome": request.outcome,
        "note": request.note, "recorded_by": by.actor, "recorded_at": utc_now(),
        "score": stored["score"], "band": stored["band"],
        "model_version": stored["model_version"],
        "codes": firing_codes(stored["signals"], config),
    }
    await repo.save_outcome(document)
    event = FraudOutcome(customer_id=customer_id, outcome=request.outcome,
                         recorded_by=by.actor, score=stored["score"], band=stored["band"],
                         model_version=stored["model_version"])
    return view(document, by), [event]


def view(document: Document, by: Principal) -> dict[str, Any]:
    """An outcome as the API shows it; the free-text note to admins only (it may name
    someone, and analysts read no personal data)."""
    shown = {key: value for key, value in document.items() if key != "_id"}
    if by.sees_personal_data:
        return shown
    shown.pop("note", None)
    return shown
