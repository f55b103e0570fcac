"""Loyalty card numbers: one customer per card; a card held by someone else is not taken."""

from __future__ import annotations

from dataclasses import dataclass

from .account import Account


@dataclass(frozen=True)
class CardClaim:
    """What an account's card number does to the card map: the account as it keeps its
    number, the card to map to it (None: nothing to map), the card it held before and
    frees, and the customer who holds the card already (not taken over)."""

    account: Account
    assign: str | None = None
    release: str | None = None
    held_by: str | None = None


def claim_card(account: Account, owner: str | None, previous_card: str | None) -> CardClaim:
    """The claim of ``account`` on its card number, which ``owner`` holds now (None: no
    one); ``previous_card`` is the number the account had before this change."""
    card = account.card_number
    if card is None or owner == account.customer_id:
        return CardClaim(account)
    if owner is not None:
        kept = previous_card if previous_card != card else None
        return CardClaim(account.model_copy(update={"card_number": kept}), held_by=owner)
    released = previous_card if previous_card and previous_card != card else None
    return CardClaim(account, assign=card, release=released)
