"""Scoring: fraud score at registration and behavioural types, wired to Kafka and HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.scoring import handlers, outcomes, privacy
from services.scoring.business import ScoringMetrics
from services.scoring.live_config import LiveConfig
from services.scoring.repository import ScoringRepository
from services.scoring.settings import ScoringSettings
from shared.auth import Analyst, Reader
from shared.contracts import (
    CustomerErased,
    CustomerRegistered,
    CustomerUpdated,
    InteractionLogged,
    OperatorUpdated,
    PurchaseRecorded,
)
from shared.privacy import Erasures, install_privacy
from shared.service import ServiceRuntime, create_http_app


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(ScoringMetrics(runtime.metrics.registry).observe)
    repo = ScoringRepository(runtime.db)
    config = LiveConfig(settings.rules_path, settings.rules_check_interval_s)

    # The behaviour profiles (and, after registration, the scores) a unit's handlers read,
    # read at once on MongoDB.
    def profiles(events: Sequence[CustomerRegistered | InteractionLogged | PurchaseRecorded]
                 ) -> dict[str, list[str]]:
        return {"behaviour": [event.customer_id for event in events]}

    def profiles_and_scores(events: Sequence[InteractionLogged | PurchaseRecorded]
                            ) -> dict[str, list[str]]:
        customers = [event.customer_id for event in events]
        return {"behaviour": customers, "scores": customers}

    runtime.subscribe(
        CustomerRegistered, lambda event: handlers.on_registered(repo, config.current, event),
        reads=profiles)
    runtime.subscribe(
        InteractionLogged, lambda event: handlers.on_interaction(repo, config.current, event),
        reads=profiles_and_scores)
    runtime.subscribe(
        PurchaseRecorded, lambda event: handlers.on_purchase(repo, config.current, event),
        reads=profiles_and_scores)
    runtime.subscribe(
        CustomerUpdated, lambda event: handlers.on_customer_updated(repo, config.current, event))
    runtime.subscribe(OperatorUpdated, runtime.people.mirror)  # names, disabled people
    erasures = Erasures(runtime.db)
    runtime.subscribe(CustomerErased, lambda event: privacy.on_erased(repo, erasures, event))
    runtime.every("scoring-rules-reload", settings.rules_check_interval_s, config.refresh_job,
                  each_replica=True)  # every process reloads its own copy
    app = create_http_app(runtime, "crm scoring", "Fraud score and behavioural types.")

    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, customer_id)

    install_privacy(app, "scoring", erasures, holdings)

    async def stored_score(customer_id: str) -> dict[str, Any]:
        stored = await repo.score(customer_id)
        if stored is None:
            raise HTTPException(404, "no score for this customer")
        return stored

    @app.get("/api/scores/outcomes", tags=["scores"])
    async def recorded_outcomes(principal: Analyst, after: str | None = None,
                                limit: int = Query(500, ge=1, le=1000)) -> Any:
        """Recorded outcomes in customer-id order, a page after ``after`` (``next`` names
        the next page's ``after``); for ``make eval-scoring``. Notes to admins only."""
        page = await repo.outcomes_after(after, limit)
        return {"outcomes": [outcomes.view(row, principal) for row in page],
                "next": page[-1]["_id"] if len(page) == limit else None}

    @app.post("/api/scores/{customer_id}/outcome", tags=["scores"], status_code=201,
              responses={200: {"description": "The same outcome and note again: unchanged"},
                         404: {"description": "No score for this customer"}})
    async def record_outcome(customer_id: str, body: outcomes.OutcomeRequest,
                             principal: Analyst) -> Any:
        """Record what really happened (fraud or legitimate): kept with the decision in force
        now, and published as crm.fraud.outcome.v1; a later outcome replaces it."""
        async with runtime.command():
            try:
                answer, events = await outcomes.record(repo, config.current(), customer_id,
                                                       body, principal)
            except outcomes.NoScore as error:
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
        name a registration matched (see ``handlers.without_names``).
        """
        stored = await stored_score(customer_id)
        answer = handlers.explain(stored, config.current()) if explain else \
            handlers.score_view(stored)
        return answer if principal.sees_personal_data else handlers.without_names(answer)

    @app.get("/api/scores/{customer_id}/explain", tags=["scores"])
    async def explain_score(customer_id: str, principal: Reader) -> Any:
        """The recorded decision and the same signals decided again with the current rules;
        analysts get them without the famous name a registration matched."""
        answer = handlers.explain(await stored_score(customer_id), config.current())
        return answer if principal.sees_personal_data else handlers.without_names(answer)

    return app
