"""Scoring: fraud score at registration and behavioural types, wired to Kafka and HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from services.scoring import handlers
from services.scoring.repository import ScoringRepository
from services.scoring.settings import ScoringSettings
from shared.auth import Role, principal_of
from shared.contracts import CustomerRegistered
from shared.service import ServiceRuntime, create_http_app

Reader = principal_of(Role.OPERATOR, Role.ANALYST, Role.ADMIN)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = ServiceRuntime(settings)
    repo = ScoringRepository(runtime.db)
    runtime.subscribe(CustomerRegistered, lambda event: handlers.on_registered(repo, event))
    app = create_http_app(runtime, "crm scoring", "Fraud score and behavioural types.")

    @app.get("/api/scores/{customer_id}", tags=["scores"])
    async def score(customer_id: str, principal: Reader) -> Any:
        document = await repo.score(customer_id)
        if document is None:
            raise HTTPException(404, "no score for this customer")
        document.pop("_id", None)
        return document

    return app
