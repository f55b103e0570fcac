"""Who changed what, and when: a customer's tier floors, the jobs run by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query

from services.loyalty.api.context import Loyalty
from shared.auth import Admin, Analyst


def install(app: FastAPI, loyalty: Loyalty) -> None:
    audit = loyalty.audit

    @app.get("/api/loyalty/customers/{customer_id}/history", tags=["loyalty"])
    async def customer_history(customer_id: str, principal: Analyst,
                               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
        """Who changed the customer's tier floor, and when (newest first)."""
        loyalty.reads.check(principal)
        return {"customer_id": customer_id,
                "entries": await audit.entries(f"customer:{customer_id}", limit)}

    @app.get("/api/loyalty/jobs/history", tags=["ops"])
    async def jobs_history(principal: Admin,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
        """Who ran a job by hand, as of when, and what it did (newest first)."""
        return {"entries": await audit.entries("jobs", limit)}
