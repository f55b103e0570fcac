"""Points redemption (``POST /api/loyalty/redemptions``): run inside the route's transaction.

The debit is one conditional update (``points_balance >= points``) and the redemption is
recorded under its own id, in the same transaction as its events (the outbox): two
redemptions at once never take a balance below zero, and the same id counts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.loyalty.domain import Account
from services.loyalty.domain.redemptions import RedemptionRefused, check_repeat, debit
from services.loyalty.handlers.events import loyalty_updated
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import Event, PointsRedeemed
from shared.database import Document

__all__ = ["RedemptionRefused", "answer", "redeem", "view"]


def answer(record: Document) -> dict[str, Any]:
    """The HTTP answer for a redemption record (the first time and every repeat)."""
    return {"redemption_id": record["_id"], "customer_id": record["customer_id"],
            "points": record["points"], "points_balance": record["points_balance"],
            **({"purchase_id": record["purchase_id"]} if record.get("purchase_id") else {})}


def view(record: Document) -> dict[str, Any]:
    """A redemption as the card view lists it."""
    return {**answer(record), "at": record["at"],
            **({"reversed": True} if record.get("reversed_by") else {})}


async def redeem(repo: LoyaltyRepository, redemption_id: str, customer_id: str, points: int,
                 purchase_id: str | None, now: datetime,
                 ) -> tuple[dict[str, Any], list[Event], bool]:
    """The answer, the events to publish, and whether the redemption is new (201) or a
    repeat of one already made (200). Raises RedemptionRefused (404, 409)."""
    existing = await repo.redemption(redemption_id)
    if existing is not None:
        check_repeat(existing, customer_id, points)
        return answer(existing), [], False
    account = await repo.account(customer_id)
    if account is None:
        raise RedemptionRefused(404, "no loyalty account for this customer")
    debit(account, points)  # 409 with the balance when it is short
    if not await repo.debit_points(customer_id, points):
        current = await repo.account(customer_id)  # spent meanwhile
        debit(current or Account(customer_id=customer_id), points)
        raise RedemptionRefused(409, "not enough points")
    after = await repo.account(customer_id)
    assert after is not None
    record = await repo.record_redemption(redemption_id, customer_id, points,
                                          after.points_balance, purchase_id, now)
    events: list[Event] = [
        PointsRedeemed(
            event_id=Event.derived_id(f"redemption:{redemption_id}", "points-redeemed"),
            redemption_id=redemption_id, customer_id=customer_id,
            points=points, points_balance=after.points_balance,
            purchase_id=purchase_id),
        loyalty_updated(Event.derived_id(f"redemption:{redemption_id}", "loyalty-updated"),
                        after, -points, now),
    ]
    return answer(record), events, True
