"""Redemptions: a customer spends points (``POST /api/loyalty/redemptions``).

The rules, apart from storage: a redemption takes whole points, never more than the
balance; the same ``redemption_id`` asked again with the same customer and points is the
same redemption (answered again, nothing changes), with anything else a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .account import Account


class RedemptionRefused(Exception):
    """A redemption that cannot be made; ``status`` is the HTTP answer (404 or 409)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def check_repeat(record: dict[str, Any], customer_id: str, points: int) -> None:
    """A redemption id seen before: fine when it asks the same, else 409 (RedemptionRefused)."""
    if record["customer_id"] != customer_id or record["points"] != points:
        raise RedemptionRefused(
            409, f"redemption {record['_id']} was already made for another customer or "
                 "number of points; use a new redemption_id")


def debit(account: Account, points: int) -> Account:
    """The account after spending ``points`` (whole, positive); 409 when the balance is short."""
    if points <= 0:
        raise ValueError("points to redeem must be positive")
    if account.points_balance < points:
        raise RedemptionRefused(
            409, f"not enough points: the balance is {account.points_balance}, "
                 f"{points} asked")
    return account.model_copy(update={"points_balance": account.points_balance - points})


@dataclass(frozen=True)
class GiveBack:
    """A refund of a purchase that redemptions paid for: the account with their points
    back, how many, and the redemptions it reverses (each marked with the refund)."""

    account: Account
    points: int
    reversed: tuple[str, ...]


def give_back(account: Account, paying: Sequence[Mapping[str, Any]]) -> GiveBack:
    """Give back the points of the redemptions that paid for a refunded purchase, once per
    redemption: those of another customer, or reversed already (by the first refund naming
    the purchase, partial or whole), are left alone."""
    reversed_ids = tuple(record["_id"] for record in paying
                         if record["customer_id"] == account.customer_id
                         and not record.get("reversed_by"))
    returned = sum(int(record["points"]) for record in paying
                   if record["_id"] in reversed_ids)
    if not returned:
        return GiveBack(account, 0, reversed_ids)
    return GiveBack(account.model_copy(
        update={"points_balance": account.points_balance + returned}), returned, reversed_ids)
