"""A purchase or refund applied to an account: what to record, as one explicit outcome.

A refund that names its purchase (``refund_of``) takes back exactly the points that
purchase earned, in proportion (``refunds.refund_points``), at the rate of the purchase's
date; one that names none we know takes back what the earning rules give today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from .account import Account, PurchaseLike, apply_purchase
from .redemptions import give_back
from .refunds import check_refund, refund_points
from .rules import EarningRules
from .tiers import Percentiles, Thresholds, TierChange, reassess_tier


class RefundedPurchaseLike(PurchaseLike, Protocol):
    """What the domain needs of the purchase (or refund) applied: a ``PurchaseRecorded``."""

    @property
    def customer_id(self) -> str: ...
    @property
    def refund_of(self) -> str | None: ...


@dataclass(frozen=True)
class LedgerEntry:
    """A purchase (or refund) in the ledger: counted once, whatever its event id."""

    purchase_id: str
    customer_id: str
    amount: Decimal
    currency: str
    points: int
    occurred_at: datetime
    refund_of: str | None
    event_id: str
    refunded: Decimal = Decimal(0)  # how much of a purchase refunds took back so far


@dataclass(frozen=True)
class RefundEffect:
    """What a refund does to the purchase it names: its refunded total becomes ``refunded``."""

    purchase_id: str
    refunded: Decimal


@dataclass(frozen=True)
class PurchaseEffect:
    """What a purchase or refund does, to be recorded as it says: the account after it;
    the points it earned (negative: reversed) and the redeemed points a refund gives back;
    the value it added to the customer (negative for a refund); its ledger entry; the effect
    on the purchase a refund names and the redemptions it reverses; the tier change."""

    account: Account
    points: int
    given_back: int
    value_change: Decimal
    entry: LedgerEntry
    refund: RefundEffect | None
    reversed_redemptions: tuple[str, ...]
    tier_change: TierChange | None

    @property
    def points_delta(self) -> int:
        """The balance's change (crm.loyalty.updated.v1's ``points_delta``)."""
        return self.points + self.given_back


def refunded_purchase_id(purchase: RefundedPurchaseLike) -> str | None:
    """The purchase a refund names (its ledger entry and redemptions to be read); None for
    a purchase."""
    if purchase.amount >= 0 or purchase.refund_of is None:
        return None
    return purchase.refund_of


def purchase_effect(
    before: Account | None, purchase: RefundedPurchaseLike, event_id: str,
    rules: EarningRules, now: datetime, thresholds: Thresholds, percentiles: Percentiles,
    original: LedgerEntry | None = None, paying: Sequence[Mapping[str, Any]] = (),
) -> PurchaseEffect:
    """Apply a purchase (or refund) to the account and reassess its tier: ``original`` is
    the ledger entry a refund names, None when it names none we know (bought before loyalty
    kept a ledger: the earning rules' clawback); ``paying`` the redemptions that paid for
    the purchase a refund names (their points come back).

    Raises UnknownCurrency for a currency the suite cannot value, RefundRefused for a
    refund that does not fit its purchase.
    """
    rules.currency(purchase.currency)
    if original is not None:
        check_refund(purchase.customer_id, purchase.currency, purchase.amount,
                     original.customer_id, original.currency, original.amount,
                     original.refunded)
    start = before or Account(customer_id=purchase.customer_id)
    account, points = apply_purchase(
        start, purchase, rules, now, rate_on=None if original is None else original.occurred_at)
    refund = None
    if original is not None:
        exact = refund_points(original.points, original.amount, purchase.amount)
        account = account.model_copy(
            update={"points_balance": account.points_balance - points + exact})
        points = exact
        refund = RefundEffect(original.purchase_id, original.refunded + abs(purchase.amount))
    back = give_back(account, paying)
    account, change = reassess_tier(back.account, thresholds, percentiles, now)
    entry = LedgerEntry(
        purchase_id=purchase.purchase_id, customer_id=purchase.customer_id,
        amount=purchase.amount, currency=purchase.currency, points=points,
        occurred_at=purchase.occurred_at, refund_of=purchase.refund_of, event_id=event_id)
    value_change = account.value_lifetime - (before.value_lifetime if before else Decimal(0))
    return PurchaseEffect(account, points, back.points, value_change, entry, refund,
                          back.reversed, change)
