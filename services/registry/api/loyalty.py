"""``POST /api/loyalty/redemptions`` on registry: the panel's way to loyalty.

The operator panel talks to its own origin only (its CSP allows nothing else), and points
are loyalty's: registry forwards the panel's redemption, with the person's own token, to
loyalty's API of the same path (``CRM_LOYALTY_URL``), which checks the token and the role
again, debits and answers. Loyalty's answer (201, 200 for a repeat, 404, 409, 422) reaches
the panel unchanged; a loyalty that does not answer is 503 with Retry-After, and the
panel's retry with the same ``redemption_id`` redeems once. Behind an ingress that routes
``/api/loyalty/`` to loyalty, the same request never reaches registry.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from services.registry.gateways import suite
from services.registry.settings import RegistrySettings
from shared.auth import Operator

log = logging.getLogger("crm.registry.loyalty")
TAGS: list[str | Enum] = ["loyalty"]
RETRY_AFTER_S = 5


def install(app: FastAPI, settings: RegistrySettings) -> None:
    target = f"{settings.loyalty_base_url()}/api/loyalty/redemptions"

    @app.post(
        "/api/loyalty/redemptions", tags=TAGS,
        summary="Spend a customer's points (forwarded to loyalty: see loyalty's API)",
        responses={503: {"description": "Loyalty does not answer; retry with the same "
                                        "redemption_id"}})
    async def redeem(request: Request, principal: Operator,
                     body: dict[str, Any] = Body(  # noqa: B008 - FastAPI's declaration
                         examples=[{"redemption_id": "r-7f3a", "customer_id": "c-1f3a",
                                    "points": 200}])) -> JSONResponse:
        answer = await suite.redeem(target, body, request.headers.get("authorization", ""))
        if isinstance(answer, suite.NoAnswer):
            log.warning("loyalty did not answer a redemption: %s", answer.error)
            return JSONResponse(
                {"detail": "the loyalty service is not answering; try again in a moment "
                           "(the same redemption is never made twice)"},
                status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        return JSONResponse(answer.payload, status_code=answer.status_code)
