"""Spending points: ``POST /api/loyalty/redemptions``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Response
from pymongo.errors import DuplicateKeyError

from services.loyalty.api.context import Loyalty
from services.loyalty.api.schemas import REDEMPTION_ANSWERS, RedemptionRequest
from services.loyalty.handlers import redemptions
from shared.auth import Operator
from shared.clock import utc_now

log = logging.getLogger(__name__)


def install(app: FastAPI, loyalty: Loyalty) -> None:
    runtime = loyalty.runtime

    @app.post("/api/loyalty/redemptions", tags=["loyalty"], status_code=201,
              responses=REDEMPTION_ANSWERS)
    async def redeem(body: RedemptionRequest, principal: Operator,
                     response: Response) -> Any:
        """Spend points of a customer's balance: 201 with the balance after; the same
        ``redemption_id`` again answers 200 with the same body and changes nothing.
        Publishes ``crm.points.redeemed.v1`` and ``crm.loyalty.updated.v1`` (negative
        ``points_delta``)."""
        for attempt in (1, 2):  # a concurrent twin of this redemption_id may commit first
            try:
                async with runtime.command():
                    result, events, created = await redemptions.redeem(
                        loyalty.repo, body.redemption_id, body.customer_id, body.points,
                        body.purchase_id, utc_now())
                    await runtime.publish(events)
                break
            except DuplicateKeyError:
                if attempt == 2:
                    raise
            except redemptions.RedemptionRefused as refused:
                raise HTTPException(refused.status, refused.detail) from None
        if created:
            log.info("redemption %s: %d points", body.redemption_id, body.points)
        else:
            response.status_code = 200
        return result
