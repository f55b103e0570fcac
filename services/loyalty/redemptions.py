"""Points redemption (``POST /api/loyalty/redemptions``): run inside the route's transaction.

The debit is one conditional update (``points_balance >= points``) and the redemption is
recorded under its own id, in the same transaction as its events (the outbox): two
redemptions at once never take a balance below zero, and the same id counts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.loyalty.domain import Account, loyalty_figures
from services.loyalty.domain.redemptions import RedemptionRefused, check_repeat, debit
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import Event, LoyaltyUpdated, PointsRedeemed
from shared.contracts.types import Identifier
from shared.database import Document

__all__ = ["RedemptionRefused", "RedemptionRequest", "answer", "redeem", "view"]


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


def answer(record: Document) -> dict[str, Any]:
    """The HTTP answer for a redemption record (the first time and every repeat)."""
    return {"redemption_id": record["_id"], "customer_id": record["customer_id"],
            "points": record["points"], "points_balance": record["points_balance"],
            **({"purchase_id": record["purchase_id"]} if record.get("purchase_id") else {})}


def view(record: Document) -> dict[str, Any]:
    """A redemption as the card view lists it."""
    return {**answer(record), "at": record["at"],
            **({"reversed": True} if record.get("reversed_by") else {})}


async def redeem(repo: LoyaltyRepository, request: RedemptionRequest,
                 now: datetime) -> tuple[dict[str, Any], list[Event], bool]:
    """The answer, the events to publish, and whether the redemption is new (201) or a
    repeat of one already made (200). Raises RedemptionRefused (404, 409)."""
    existing = await repo.redemption(request.redemption_id)
    if existing is not None:
        check_repeat(existing, request.customer_id, request.points)
        return answer(existing), [], False
    account = await repo.account(request.customer_id)
    if account is None:
        raise RedemptionRefused(404, "no loyalty account for this customer")
    debit(account, request.points)  # 409 with the balance when it is short
    if not await repo.debit_points(request.customer_id, request.points):
        current = await repo.account(request.customer_id)  # spent meanwhile
        debit(current or Account(customer_id=request.customer_id), request.points)
        raise RedemptionRefused(409, "not enough points")
    after = await repo.account(request.customer_id)
    assert after is not None
    record: Document = {
        "_id": request.redemption_id, "customer_id": request.customer_id,
        "points": request.points, "points_balance": after.points_balance,
        "purchase_id": request.purchase_id, "at": now}
    await repo.record_redemption(record)
    events: list[Event] = [
        PointsRedeemed(
            event_id=Event.derived_id(f"redemption:{request.redemption_id}", "points-redeemed"),
            redemption_id=request.redemption_id, customer_id=request.customer_id,
            points=request.points, points_balance=after.points_balance,
            purchase_id=request.purchase_id),
        LoyaltyUpdated(
            event_id=Event.derived_id(f"redemption:{request.redemption_id}", "loyalty-updated"),
            **loyalty_figures(after, -request.points, now)),  # type: ignore[arg-type]
    ]
    return answer(record), events, True


async def give_back(repo: LoyaltyRepository, account: Account, refunded_purchase: str,
                    refund_id: str) -> tuple[Account, int]:
    """A refund of a purchase that redemptions paid for (their ``purchase_id``): the account
    with their points back, and how many. Once per redemption: each is marked with the
    refund that reversed it (the first refund naming the purchase, partial or whole)."""
    returned = 0
    async for record in repo.redemptions_paying_for(refunded_purchase):
        if record["customer_id"] != account.customer_id or record.get("reversed_by"):
            continue
        await repo.mark_reversed(record["_id"], refund_id)
        returned += int(record["points"])
    if not returned:
        return account, 0
    return account.model_copy(
        update={"points_balance": account.points_balance + returned}), returned
