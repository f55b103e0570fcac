"""``/api/callers/{phone}``: the caller card, rate-limited per person (or machine client)
against scraping."""

from __future__ import annotations

import math
from enum import Enum

from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse

from services.registry import handlers
from services.registry.domain import CallerCard
from services.registry.domain.card import analyst_card
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.auth import RateLimiter, Reader
from shared.contracts.types import Language

TAGS: list[str | Enum] = ["callers"]


def install(app: FastAPI, repo: RegistryRepository, settings: RegistrySettings) -> None:
    limiter = RateLimiter(settings.card_lookups_per_minute)

    @app.get("/api/callers/{phone}", tags=TAGS, response_model=CallerCard,
             responses={404: {"description": "No customer has this number"},
                        429: {"description": "Too many look-ups by this person"}},
             summary="The caller card; any common phone notation")
    async def caller_card(phone: str, principal: Reader, lang: Language = "en") -> Response:
        allowed, wait_s = limiter.allow(principal.actor)
        if not allowed:
            raise HTTPException(
                429,
                f"too many caller-card look-ups (limit "
                f"{settings.card_lookups_per_minute} per minute); try again shortly",
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        card = await handlers.look_up_caller(repo, phone, settings.default_region, lang)
        if not principal.sees_personal_data:  # an analyst: the card without who it is
            return JSONResponse(analyst_card(card))
        # Serialised here: the card is already a validated CallerCard, and FastAPI would
        # validate it once more through response_model (which stays for the docs).
        return Response(card.model_dump_json(), media_type="application/json")

