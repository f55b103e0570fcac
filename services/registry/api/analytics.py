"""The analyst view: ``GET /analytics`` (the page) and the reports it draws, forwarded.

The reports are loyalty's (``/api/analytics/...``) and notify's (``/api/surveys/summary``);
the page talks to its own origin only (the same policy as the operator panel), so registry
forwards these GETs, query string and the person's own token included, to the service that
owns them (``CRM_LOYALTY_URL``, ``CRM_NOTIFY_URL``), which checks token and role again. The
answer (JSON or CSV) passes through unchanged; a service that does not answer is 503 with
Retry-After. Behind an ingress that routes these paths to their services, the same request
never reaches registry.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.registry.api import panel
from services.registry.gateways import suite
from services.registry.settings import RegistrySettings
from shared.auth import Analyst

log = logging.getLogger("crm.registry.analytics")
TAGS: list[str | Enum] = ["analytics"]
RETRY_AFTER_S = 5


async def forward(url: str, request: Request, owner: str) -> Response:
    answer = await suite.report(url, request.query_params,
                                request.headers.get("authorization", ""),
                                request.headers.get("accept", "application/json"))
    if isinstance(answer, suite.NoAnswer):
        log.warning("%s did not answer a report: %s", owner, answer.error)
        return JSONResponse({"detail": f"the {owner} service is not answering; try again in "
                                       "a moment"},
                            status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    return Response(answer.content, status_code=answer.status_code, headers=answer.headers)


def install(app: FastAPI, settings: RegistrySettings) -> None:
    page = panel.page("analytics.html")
    loyalty, notify = settings.loyalty_base_url(), settings.notify_base_url()

    @app.get("/analytics", include_in_schema=False)
    async def analyst_view() -> HTMLResponse:
        """The page needs no token; every report it reads does (analysts and admins)."""
        return panel.served(page)

    @app.get("/api/analytics/{report}", tags=TAGS,
             summary="A loyalty report (forwarded to loyalty: see loyalty's API)",
             responses={503: {"description": "Loyalty does not answer"}})
    async def loyalty_report(report: Literal["profitability", "gold", "lapsed", "referrals"],
                             request: Request, principal: Analyst) -> Response:
        return await forward(f"{loyalty}/api/analytics/{report}", request, "loyalty")

    @app.get("/api/surveys/summary", tags=TAGS,
             summary="The survey summary (forwarded to notify: see notify's API)",
             responses={503: {"description": "Notify does not answer"}})
    async def survey_summary(request: Request, principal: Analyst) -> Response:
        return await forward(f"{notify}/api/surveys/summary", request, "notify")
