"""Erasing a customer from scoring, and what scoring keeps about one (subject access).

Scoring keeps the decision (with its signals), the behaviour profile, a recorded outcome
and the customer's place in the velocity lists (under digests of the values); all go. The score
document names the velocity lists the registration entered, so none is scanned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.scoring.repository import ScoringRepository
from shared.contracts import CustomerErased, Event
from shared.database import Document
from shared.privacy import Erased, Erasures


async def on_erased(repo: ScoringRepository, erasures: Erasures,
                    event: CustomerErased) -> Sequence[Event]:
    done = Erased()
    stored = await repo.score(event.customer_id)
    if stored is not None:
        done.remove("velocity", await repo.forget_in_velocity(
            event.customer_id, list(stored.get("velocity_ids", []))))
    done.remove("scores", await repo.delete_score(event.customer_id))
    done.remove("behaviour", await repo.delete_behaviour(event.customer_id))
    done.remove("outcomes", await repo.delete_outcome(event.customer_id))
    await erasures.record(event.customer_id, event.requested_by, done, event.occurred_at)
    return []


async def holdings(repo: ScoringRepository, customer_id: str) -> Mapping[str, list[Document]]:
    score = await repo.score(customer_id)
    behaviour = await repo.behaviour_profile(customer_id)
    outcome = await repo.outcome(customer_id)
    return {"scores": [score] if score else [], "behaviour": [behaviour] if behaviour else [],
            "outcomes": [outcome] if outcome else []}
