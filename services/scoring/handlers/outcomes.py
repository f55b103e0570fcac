"""Outcomes: what really happened to a scored customer, recorded by an analyst or admin.

``POST /api/scores/{customer_id}/outcome`` keeps the outcome beside the decision in force
then (score, band, model version and the reason codes its signals fire under every rule),
publishes ``crm.fraud.outcome.v1``, and ``GET /api/scores/outcomes`` pages through them for
``make eval-scoring``, which measures the rules on them and proposes re-fitted weights.
"""

from __future__ import annotations

from typing import Any

from services.scoring.domain import ScoringConfig
from services.scoring.domain.outcomes import AlreadyRecorded, Outcome, record_outcome
from services.scoring.handlers.scores import NoScore
from services.scoring.repository import ScoringRepository, outcome_document
from shared.auth import Principal
from shared.clock import utc_now
from shared.contracts import Event
from shared.database import Document


async def record(repo: ScoringRepository, config: ScoringConfig, customer_id: str,
                 outcome: Outcome, note: str | None, by: Principal
                 ) -> tuple[dict[str, Any], list[Event]]:
    """The outcome as kept, and the event (none when the same outcome is recorded again)."""
    stored = await repo.score(customer_id)
    if stored is None:
        raise NoScore("no score for this customer")
    previous = await repo.outcome(customer_id)
    recorded = record_outcome(stored, previous, outcome, note, by.actor, utc_now(), config)
    if isinstance(recorded, AlreadyRecorded):
        return view(recorded.kept, by), []
    document = outcome_document(recorded)
    await repo.save_outcome(document)
    return view(document, by), [recorded.published()]


def view(document: Document, by: Principal) -> dict[str, Any]:
    """An outcome as the API shows it; the free-text note to admins only (it may name
    someone, and analysts read no personal data)."""
    shown = {key: value for key, value in document.items() if key != "_id"}
    if by.sees_personal_data:
        return shown
    shown.pop("note", None)
    return shown


async def page(repo: ScoringRepository, after: str | None, limit: int, by: Principal
               ) -> dict[str, Any]:
    """Recorded outcomes in customer-id order, the page after ``after``; ``next`` names the
    next page's ``after`` (none after the last page)."""
    rows = await repo.outcomes_after(after, limit)
    return {"outcomes": [view(row, by) for row in rows],
            "next": rows[-1]["_id"] if len(rows) == limit else None}
