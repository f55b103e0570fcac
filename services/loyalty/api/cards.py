"""A loyalty card's balance, tier and value, by its number."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path

from services.loyalty.api.context import Loyalty
from services.loyalty.api.schemas import CARD_ANSWERS, CardLookup
from services.loyalty.handlers import redemptions
from services.loyalty.handlers.reports import card_view
from shared.auth import Principal, Reader
from shared.clock import utc_now
from shared.contracts.types import LoyaltyCardNumber


def install(app: FastAPI, loyalty: Loyalty) -> None:
    repo = loyalty.repo

    async def card_answer(card_number: str, principal: Principal) -> Any:
        loyalty.reads.check(principal)
        customer_id = await repo.card_owner(card_number)
        account = await repo.account(customer_id) if customer_id else None
        if account is None:
            raise HTTPException(404, "no loyalty account with this card number")
        view = card_view(account, utc_now(), personal=principal.sees_personal_data)
        view["redemptions"] = [redemptions.view(record)
                               for record in await repo.redemptions_of(account.customer_id)]
        return view

    @app.get("/api/loyalty/cards/{card_number}", tags=["loyalty"], responses=CARD_ANSWERS)
    async def card(card_number: Annotated[LoyaltyCardNumber, Path()], principal: Reader) -> Any:
        """Balance, tier and value by card number (``POST /api/loyalty/cards/lookup`` keeps
        the number out of the URL); analysts get it without the card number."""
        return await card_answer(card_number, principal)

    @app.post("/api/loyalty/cards/lookup", tags=["loyalty"], responses=CARD_ANSWERS)
    async def card_lookup(body: CardLookup, principal: Reader) -> Any:
        """The same answer as ``GET /api/loyalty/cards/{card_number}``, with the number in
        the body, where proxies and browser histories do not keep it."""
        return await card_answer(body.card_number, principal)
