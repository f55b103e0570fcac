"""Percentile tiers: gold is the top N% of buying customers by trailing-12-month value.

Definitions (one rule, so incremental and periodic recomputes agree):
- The population is the customers whose trailing-12-month value is positive. Customers who
  never bought, or whose refunds cancel their purchases, are never gold or silver and do not
  dilute the top.
- With n customers in the population, gold takes the k = ceil(N% x n) highest values: a
  customer is gold when fewer than N% of the population has a strictly higher value. A tie
  at the boundary makes every tied customer gold, so gold can exceed N% only by ties.
  The best customer is gold as soon as anyone has value (n=1 gives one gold customer).
- Silver takes the next band the same way: the top ceil((N+S)% x n) that are not gold.
- A manual tier set by an admin is a floor: the computed tier is never lower than it.
- value_percentile is the share of the population at or below a value, in percent: the
  best customer has 100, a customer outside the population 0; gold <=> percentile > 100-N.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from shared.contracts.types import Tier

from .account import Account, trailing_12m_value
from .rules import EarningRules

TIER_ORDER: dict[Tier, int] = {"standard": 0, "silver": 1, "gold": 2}


class Thresholds(BaseModel):
    """The lowest trailing-12-month value that is gold and silver; None: nobody is."""

    model_config = ConfigDict(frozen=True)

    gold_min: Decimal | None
    silver_min: Decimal | None
    population: int
    gold_percent: int
    silver_percent: int


class TierChange(BaseModel):
    """One customer's move between tiers, the body of customer.tier-changed."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    old_tier: Tier
    new_tier: Tier
    value_percentile: float


class TierRecompute(BaseModel):
    """The result of a periodic recompute: new thresholds and every tier that changes."""

    model_config = ConfigDict(frozen=True)

    thresholds: Thresholds
    sorted_values: list[Decimal]
    changes: list[TierChange]


def _top(count_percent: int, n: int) -> int:
    return -(-count_percent * n // 100)  # ceil without floats


def tier_thresholds(
    values: Iterable[Decimal], gold_percent: int = 20, silver_percent: int = 20
) -> Thresholds:
    """Thresholds for a population of trailing-12-month values (non-positive ones ignored)."""
    ranked = sorted((v for v in values if v > 0), reverse=True)
    n = len(ranked)
    gold_k = _top(gold_percent, n)
    silver_k = min(_top(gold_percent + silver_percent, n), n)
    gold_min = ranked[gold_k - 1] if gold_k else None
    silver_min = ranked[silver_k - 1] if silver_k > gold_k else None
    if silver_min is not None and silver_min == gold_min:
        silver_min = None  # the tie at the gold boundary took the whole silver band
    return Thresholds(
        gold_min=gold_min,
        silver_min=silver_min,
        population=n,
        gold_percent=gold_percent,
        silver_percent=silver_percent,
    )


def tier_for(value: Decimal, thresholds: Thresholds, manual_floor: Tier | None = None) -> Tier:
    """The tier a trailing-12-month value earns, never below an admin's manual floor."""
    earned: Tier = "standard"
    if value > 0 and thresholds.gold_min is not None and value >= thresholds.gold_min:
        earned = "gold"
    elif value > 0 and thresholds.silver_min is not None and value >= thresholds.silver_min:
        earned = "silver"
    if manual_floor is not None and TIER_ORDER[manual_floor] > TIER_ORDER[earned]:
        return manual_floor
    return earned


def value_percentile(value: Decimal, sorted_values: Sequence[Decimal]) -> float:
    """Percent of the population (ascending positive values) at or below `value`."""
    if not sorted_values or value <= 0:
        return 0.0
    return round(100 * bisect_right(sorted_values, value) / len(sorted_values), 4)


def population_values(accounts: Iterable[Account], now: datetime) -> list[Decimal]:
    """The ascending positive trailing-12-month values: the population tiers rank."""
    return sorted(v for a in accounts if (v := trailing_12m_value(a, now)) > 0)


def reassess_tier(
    account: Account, thresholds: Thresholds, sorted_values: Sequence[Decimal], now: datetime
) -> tuple[Account, TierChange | None]:
    """One customer's tier against the current thresholds (after a purchase, a floor change).

    `sorted_values` is the population of the last full recompute; it only feeds the
    percentile reported with a change.
    """
    value = trailing_12m_value(account, now)
    new_tier = tier_for(value, thresholds, account.manual_tier_floor)
    if new_tier == account.tier:
        return account, None
    change = TierChange(
        customer_id=account.customer_id,
        old_tier=account.tier,
        new_tier=new_tier,
        value_percentile=value_percentile(value, sorted_values),
    )
    return account.model_copy(update={"tier": new_tier}), change


def recompute_tiers(
    accounts: Sequence[Account], rules: EarningRules, now: datetime
) -> TierRecompute:
    """The periodic job: thresholds from the whole population and every tier that moves."""
    values = population_values(accounts, now)
    thresholds = tier_thresholds(values, rules.gold_percent, rules.silver_percent)
    changes = [
        change
        for account in accounts
        if (change := reassess_tier(account, thresholds, values, now)[1]) is not None
    ]
    return TierRecompute(thresholds=thresholds, sorted_values=values, changes=changes)
