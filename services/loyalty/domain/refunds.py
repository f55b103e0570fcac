"""Refunds that name the purchase they reverse (``refund_of``): exact clawback, no over-refund."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from shared.refunds import RefundRefused, check_refund

__all__ = ["RefundRefused", "check_refund", "refund_points"]


def refund_points(original_points: int, original_amount: Decimal, refund_amount: Decimal) -> int:
    """Points a refund takes back: the original's points in proportion, never more.

    Uses the points the purchase actually earned, so a tier or category change in between
    does not make a full refund take back more or less than was given.
    """
    share = min(abs(refund_amount) / original_amount, Decimal(1))
    return -int((original_points * share).to_integral_value(rounding=ROUND_FLOOR))
