"""``/api/scores``: a customer's score and its explanation, and recorded outcomes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.scoring.api.schemas import OutcomeRequest
from services.scoring.handlers import outcomes, scores
from services.scoring.handlers.scores import NoScore
from services.scoring.repository import ScoringRepository
from services.scoring.settings import CurrentConfig
from shared.auth import Analyst, Principal, Reader
from shared.service import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime, repo: ScoringRepository,
            current_config: CurrentConfig) -> None:
    # The outcomes' page before ``/api/scores/{customer_id}``, which would match it too.
    @app.get("/api/scores/outcomes", tags=["scores"])
    async def recorded_outcomes(principal: Analyst, after: str | None = None,
                                limit: int = Query(500, ge=1, le=1000)) -> Any:
        """Recorded outcomes in customer-id order, a page after ``after`` (``next`` names
        the next page's ``after``); for ``make eval-scoring``. Notes to admins only."""
        return await outcomes.page(repo, after, limit, principal)

    @app.post("/api/scores/{customer_id}/outcome", tags=["scores"], status_code=201,
              responses={200: {"description": "The same outcome and note again: unchanged"},
                         404: {"description": "No score for this customer"}})
    async def record_outcome(customer_id: str, body: OutcomeRequest,
                             principal: Analyst) -> Any:
        """Record what really happened (fraud or legitimate): kept with the decision in force
        now, and published as crm.fraud.outcome.v1; a later outcome replaces it."""
        async with runtime.command():
            try:
                answer, events = await outcomes.record(repo, current_config(), customer_id,
                                                       body.outcome, body.note, principal)
            except NoScore as error:
                raise HTTPException(404, str(error)) from None
            await runtime.publish(events)
        if not events:
            return JSONResponse(jsonable_encoder(answer), status_code=200)
        return answer

    @app.get("/api/scores/{customer_id}", tags=["scores"])
    async def score(customer_id: str, principal: Reader, explain: bool = False) -> Any:
        """The latest score with its reasons, payment policy, model version and signals.

        With ``explain=true``: the recorded decision beside a replay of its stored signals
        under the rules in force now (see ``/explain``). Analysts get it without the famous
        name a registration matched (see ``domain.explanation.without_names``).
        """
        return await _score(repo, current_config, customer_id, principal, explain)

    @app.get("/api/scores/{customer_id}/explain", tags=["scores"])
    async def explain_score(customer_id: str, principal: Reader) -> Any:
        """The recorded decision and the same signals decided again with the current rules;
        analysts get them without the famous name a registration matched."""
        return await _score(repo, current_config, customer_id, principal, explained=True)


async def _score(repo: ScoringRepository, current_config: CurrentConfig, customer_id: str,
                 principal: Principal, explained: bool) -> dict[str, Any]:
    try:
        return await scores.score(repo, current_config, customer_id, principal, explained)
    except NoScore as error:
        raise HTTPException(404, str(error)) from None
