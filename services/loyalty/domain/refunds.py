"""Refunds that name the purchase they reverse (``refund_of``): exact clawback, no over-refund."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal


class RefundRefused(ValueError):
    """A refund that can never be applied (other customer, other currency, too much)."""


def check_refund(
    refund_customer: str, refund_currency: str, refund_amount: Decimal,
    original_customer: str, original_currency: str, original_amount: Decimal,
    already_refunded: Decimal,
) -> None:
    """Raise RefundRefused unless the refund fits inside what is left of the original."""
    if original_amount <= 0:
        raise RefundRefused("refund_of names a refund, not a purchase")
    if refund_customer != original_customer:
        raise RefundRefused("refund_of names a purchase of another customer")
    if refund_currency.upper() != original_currency.upper():
        raise RefundRefused("a refund must be in the currency of the purchase it reverses")
    if already_refunded + abs(refund_amount) > original_amount:
        raise RefundRefused(
            f"refunds would exceed the purchase ({already_refunded + abs(refund_amount)} > "
            f"{original_amount})"
        )


def refund_points(original_points: int, original_amount: Decimal, refund_amount: Decimal) -> int:
    """Points a refund takes back: the original's points in proportion, never more.

    Uses the points the purchase actually earned, so a tier or category change in between
    does not make a full refund take back more or less than was given.
    """
    share = min(abs(refund_amount) / original_amount, Decimal(1))
    return -int((original_points * share).to_integral_value(rounding=ROUND_FLOOR))
