"""Thank-you bonus points: an operator's thanks (crm.customer.thanked.v1) may come with
points, credited once per thank_you_id."""

from __future__ import annotations

from .account import Account, already_applied, remember


def thank_you_credit_id(thank_you_id: str) -> str:
    """The account's idempotency key of one thank-you."""
    return f"thank-you:{thank_you_id}"


def credit_thank_you(account: Account, thank_you_id: str, bonus_points: int) -> Account | None:
    """The account with the thank-you's points added, or None when this thank-you was
    already applied (a redelivery, or the same thank_you_id published again)."""
    credit_id = thank_you_credit_id(thank_you_id)
    if already_applied(account, credit_id):
        return None
    return account.model_copy(update={
        "points_balance": account.points_balance + bonus_points,
        "recent_ids": remember(account.recent_ids, credit_id)})
