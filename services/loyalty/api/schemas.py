"""Loyalty's HTTP request bodies and the answers its routes document (``responses=``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.types import Identifier, LoyaltyCardNumber, Tier

Limit = Annotated[int, Query(ge=1, le=100_000)]


class TierFloor(BaseModel):
    """``PUT /api/loyalty/customers/{id}/tier-floor``: the lowest tier, or null to clear."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier | None


class CardLookup(BaseModel):
    """``POST /api/loyalty/cards/lookup``: a loyalty card number, kept out of the URL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    card_number: LoyaltyCardNumber


class RedemptionRequest(BaseModel):
    """``POST /api/loyalty/redemptions``: spend ``points`` of a customer's balance."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    redemption_id: Identifier = Field(
        description="The caller's id for this redemption: sending it again changes nothing.")
    customer_id: Identifier
    points: int = Field(gt=0, strict=True, description="Whole points to spend (above zero).")
    purchase_id: Identifier | None = Field(
        default=None, description="The purchase the points pay for: refunding it gives the "
                                  "points back.")


CARD_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No loyalty account with this card number"},
    422: {"description": "Not a loyalty card number (a payment card number is refused)"},
    429: {"description": "Too many reads of personal data by this person "
                         "(CRM_PERSONAL_READS_PER_MINUTE)"},
}


REDEMPTION_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "This redemption_id was already made with the same customer and "
                         "points: the same answer, nothing changed"},
    201: {"description": "Redeemed: the points and the balance after"},
    404: {"description": "No loyalty account for this customer"},
    409: {"description": "The balance is short (the message gives it), or this redemption_id "
                         "was made for another customer or number of points"},
    422: {"description": "Points not a whole number above zero, or a malformed id"},
}
