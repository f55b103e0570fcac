"""Whether a refund fits the purchase it names (``refund_of``): one rule, read by registry
at the door (``POST /api/purchases``) and by loyalty for events from any system."""

from __future__ import annotations

from decimal import Decimal


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
