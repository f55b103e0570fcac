"""The caller card by phone number, rate-limited per person (or machine client) against
scraping: ``POST /api/callers/lookup`` with the number in the body, and the older
``GET /api/callers/{phone}`` (a number in a URL stays in proxies' logs and browser history).

A number typed without a country code may read as several customers' numbers; then the
answer is 300 with the choices, and the operator looks the chosen number up.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from services.registry import handlers
from services.registry.api.schemas import CallerLookup
from services.registry.domain import CallerCard
from services.registry.domain.card import analyst_card
from services.registry.handlers.cards import SeveralCallers, caller_choices
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.auth import PerPersonLimit, Principal, Reader
from shared.contracts.types import Language

TAGS: list[str | Enum] = ["callers"]
RESPONSES: dict[int | str, dict[str, Any]] = {
    300: {"description": "The number, typed without a country code, reads as several "
                         "customers' numbers (CRM_PHONE_REGIONS): `choices` lists them "
                         "(customer_id, phone, full_name, country; analysts get customer_id "
                         "and country only); look the chosen phone up"},
    404: {"description": "No customer has this number"},
    422: {"description": "Not a phone number in any common notation"},
    429: {"description": "Too many look-ups by this person"},
}


def install(app: FastAPI, repo: RegistryRepository, settings: RegistrySettings) -> None:
    limiter = PerPersonLimit(settings.card_lookups_per_minute, "caller-card look-ups")

    async def look_up(phone: str, principal: Principal, lang: Language) -> Response:
        limiter.check(principal)
        try:
            card = await handlers.look_up_caller(repo, phone, settings.phone_regions, lang)
        except SeveralCallers as several:
            choices = await caller_choices(repo, several.customer_ids, principal)
            return JSONResponse({"detail": several.message, "choices": choices},
                                status_code=300, headers={"Cache-Control": "no-store"})
        if not principal.sees_personal_data:  # an analyst: the card without who it is
            return JSONResponse(analyst_card(card))
        # Serialised here: the card is already a validated CallerCard, and FastAPI would
        # validate it once more through response_model (which stays for the docs).
        return Response(card.model_dump_json(), media_type="application/json")

    @app.post("/api/callers/lookup", tags=TAGS, response_model=CallerCard,
              responses=RESPONSES,
              summary="The caller card; the number in any common notation, in the body")
    async def caller_lookup(body: CallerLookup, principal: Reader,
                            lang: Language = "en") -> Response:
        return await look_up(body.phone, principal, lang)

    @app.get("/api/callers/{phone}", tags=TAGS, response_model=CallerCard,
             responses=RESPONSES,
             summary="The caller card; any common phone notation (prefer POST "
                     "/api/callers/lookup: a number in a URL is kept in access logs)")
    async def caller_card(phone: str, principal: Reader, lang: Language = "en") -> Response:
        return await look_up(phone, principal, lang)
