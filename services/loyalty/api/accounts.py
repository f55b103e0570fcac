"""An admin's tier floor for a customer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from services.loyalty import handlers
from services.loyalty.api.context import Loyalty
from services.loyalty.api.schemas import TierFloor
from services.loyalty.handlers.reports import card_view
from shared.auth import Admin
from shared.clock import utc_now


def install(app: FastAPI, loyalty: Loyalty) -> None:
    runtime = loyalty.runtime

    @app.put("/api/loyalty/customers/{customer_id}/tier-floor", tags=["loyalty"])
    async def tier_floor(customer_id: str, body: TierFloor, principal: Admin) -> Any:
        """Set (or clear, with null) the lowest tier of a customer; kept in their history."""
        at = utc_now()
        async with runtime.command():
            result = await handlers.set_tier_floor(loyalty.repo, loyalty.audit, customer_id,
                                                   body.tier, principal, at)
            if result is not None:
                await runtime.publish(result[1])
        if result is None:
            raise HTTPException(404, "no loyalty account for this customer")
        return card_view(result[0], at, personal=True)
