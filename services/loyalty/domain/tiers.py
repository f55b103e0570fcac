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
  It is answered from ``Percentiles``, a summary of bounded size (see there for precision);
  the thresholds are always exact.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.contracts.types import Tier

from .account import Account, months_back, trailing_12m_value
from .rules import EarningRules

TIER_ORDER: dict[Tier, int] = {"standard": 0, "silver": 1, "gold": 2}
#: How many evenly spaced ranks ``Percentiles`` keeps: its precision is 100/CUTS points.
PERCENTILE_CUTS = 1000
_PLACES = 4  # Money has at most four decimal places (shared.contracts.types.Money)
_EXPONENT_BITS = 5
_EXPONENTS = 2**_EXPONENT_BITS
_INT64_MAX = 2**63 - 1
_ZERO = Decimal(0)


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


@dataclass(frozen=True)
class Percentiles:
    """Where the population's values lie, in a size bounded whatever the population.

    ``values`` ascend; ``at_or_below[i]`` is the exact number of customers whose value is at
    most ``values[i]``. They are the values at the ranks ceil(i x n / PERCENTILE_CUTS),
    i = 1..PERCENTILE_CUTS, and the gold and silver thresholds: at most 1,002 pairs.

    Precision: the share of a value is counted at the highest stored value not above it, so
    it is never above the exact share and at most 100/PERCENTILE_CUTS (0.1) percentage
    points below it; exact for a population of up to PERCENTILE_CUTS customers and at every
    stored value. The thresholds being stored, gold <=> percentile > 100-N holds exactly.
    """

    values: tuple[Decimal, ...] = ()
    at_or_below: tuple[int, ...] = ()
    population: int = 0

    @classmethod
    def of(cls, values: Iterable[Decimal]) -> Percentiles:
        """The percentiles of a population (non-positive values ignored)."""
        return ValueRanking(values).percentiles()

    def share_at_or_below(self, value: Decimal) -> float:
        """The percent of the population at or below ``value``, to four places."""
        if not self.population or value <= 0:
            return 0.0
        stored = bisect_right(self.values, value)
        counted = self.at_or_below[stored - 1] if stored else 0
        return round(100 * counted / self.population, 4)


@dataclass(frozen=True)
class TierStanding:
    """What the periodic recompute needs of one account, without the rest of it."""

    customer_id: str
    value_12m: Decimal
    tier: Tier = "standard"
    manual_tier_floor: Tier | None = None

    @classmethod
    def of(cls, customer_id: str, value_by_month: Mapping[str, Decimal], now: datetime,
           tier: Tier = "standard", manual_tier_floor: Tier | None = None) -> TierStanding:
        """The standing as of ``now``, its value as ``trailing_12m_value`` counts it."""
        value = sum((value_by_month.get(k, _ZERO) for k in months_back(now, 12)), _ZERO)
        return cls(customer_id, value, tier, manual_tier_floor)

    def moves(self, thresholds: Thresholds) -> bool:
        return tier_for(self.value_12m, thresholds, self.manual_tier_floor) != self.tier


class ValueRanking:
    """The population's positive values, kept compactly while a recompute scans it.

    A value is kept exactly, as written (``9000.50`` stays ``9000.50``), in one int64: its
    whole number of 1/10,000ths and its exponent. That is 8 bytes a customer (800 KB for
    100,000) where a Decimal in a list takes about 110. Money has at most four places, so
    this holds every value the contracts allow (up to 2.8e13); a value with finer places or
    larger is kept as a Decimal beside them, so the ranking is exact whatever it is given.
    Ranking sorts a copy of the array (a transient list of ints, about 36 bytes a value).
    """

    def __init__(self, values: Iterable[Decimal] = ()) -> None:
        self._packed = array("q")
        self._other: list[Decimal] = []
        for value in values:
            self.add(value)

    def add(self, value: Decimal) -> None:
        if value <= 0:
            return
        packed = _packed(value)
        if packed is None:
            self._other.append(value)
        else:
            self._packed.append(packed)

    def __len__(self) -> int:
        return len(self._packed) + len(self._other)

    def ascending(self) -> Iterator[Decimal]:
        packed = (_unpacked(v) for v in sorted(self._packed))
        return heapq.merge(packed, sorted(self._other))

    def thresholds(self, gold_percent: int, silver_percent: int) -> Thresholds:
        return self.rank(gold_percent, silver_percent)[0]

    def percentiles(self) -> Percentiles:
        return self.rank(0, 0)[1]

    def rank(self, gold_percent: int, silver_percent: int) -> tuple[Thresholds, Percentiles]:
        """The exact thresholds, and percentiles that keep them, in one pass over the values."""
        n = len(self)
        gold_k = _top(gold_percent, n)
        silver_k = min(_top(gold_percent + silver_percent, n), n)
        # Ranks from the lowest value, 1-based: the cuts', and the k-th highest values'.
        cuts = {-(-i * n // PERCENTILE_CUTS) for i in range(1, PERCENTILE_CUTS + 1)}
        wanted = sorted(cuts | {n - k + 1 for k in (gold_k, silver_k) if k})
        at_rank: dict[int, Decimal] = {}
        values: list[Decimal] = []
        at_or_below: list[int] = []
        next_wanted = 0
        for value, last_rank in _runs(self.ascending()):
            if next_wanted < len(wanted) and wanted[next_wanted] <= last_rank:
                values.append(value)
                at_or_below.append(last_rank)
            while next_wanted < len(wanted) and wanted[next_wanted] <= last_rank:
                at_rank[wanted[next_wanted]] = value
                next_wanted += 1
        gold_min = at_rank[n - gold_k + 1] if gold_k else None
        silver_min = at_rank[n - silver_k + 1] if silver_k > gold_k else None
        if silver_min is not None and silver_min == gold_min:
            silver_min = None  # the tie at the gold boundary took the whole silver band
        thresholds = Thresholds(gold_min=gold_min, silver_min=silver_min, population=n,
                                gold_percent=gold_percent, silver_percent=silver_percent)
        return thresholds, Percentiles(tuple(values), tuple(at_or_below), n)


def _packed(value: Decimal) -> int | None:
    """The value as (1/10,000ths << 5 | exponent + 4), or None if it does not fit."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or not -_PLACES <= exponent < _EXPONENTS - _PLACES:
        return None
    packed = int(value.scaleb(_PLACES)) << _EXPONENT_BITS | (exponent + _PLACES)
    return packed if packed <= _INT64_MAX else None


def _unpacked(packed: int) -> Decimal:
    shift = packed & (_EXPONENTS - 1)  # the exponent + 4: places to drop from 1/10,000ths
    return Decimal((packed >> _EXPONENT_BITS) // 10**shift).scaleb(shift - _PLACES)


def _runs(ascending: Iterator[Decimal]) -> Iterator[tuple[Decimal, int]]:
    """Each run of equal values as (the value, the 1-based rank of its last one)."""
    current: Decimal | None = None
    rank = 0
    for rank, value in enumerate(ascending, 1):
        if current is not None and value != current:
            yield current, rank - 1
        current = value
    if current is not None:
        yield current, rank


@dataclass(frozen=True)
class TierRecompute:
    """The result of a periodic recompute: new thresholds and every tier that changes."""

    thresholds: Thresholds
    percentiles: Percentiles
    changes: list[TierChange]


def _top(count_percent: int, n: int) -> int:
    return -(-count_percent * n // 100)  # ceil without floats


def tier_thresholds(
    values: Iterable[Decimal], gold_percent: int = 20, silver_percent: int = 20
) -> Thresholds:
    """Thresholds for a population of trailing-12-month values (non-positive ones ignored)."""
    return ValueRanking(values).thresholds(gold_percent, silver_percent)


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


def value_percentile(value: Decimal, percentiles: Percentiles) -> float:
    """Percent of the population at or below `value` (see ``Percentiles`` for precision)."""
    return percentiles.share_at_or_below(value)


def population_values(accounts: Iterable[Account], now: datetime) -> list[Decimal]:
    """The ascending positive trailing-12-month values: the population tiers rank."""
    return sorted(v for a in accounts if (v := trailing_12m_value(a, now)) > 0)


def reassess_tier(
    account: Account, thresholds: Thresholds, percentiles: Percentiles, now: datetime
) -> tuple[Account, TierChange | None]:
    """One customer's tier against the current thresholds (after a purchase, a floor change).

    `percentiles` are the population's of the last full recompute; they only feed the
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
        value_percentile=value_percentile(value, percentiles),
    )
    return account.model_copy(update={"tier": new_tier}), change


def recompute_tiers(
    accounts: Sequence[Account], rules: EarningRules, now: datetime
) -> TierRecompute:
    """The periodic job on accounts in memory: thresholds from the whole population and
    every tier that moves (the service's job streams the same steps, ``jobs.plan_tiers``)."""
    ranking = ValueRanking(trailing_12m_value(account, now) for account in accounts)
    thresholds, percentiles = ranking.rank(rules.gold_percent, rules.silver_percent)
    changes = [
        change
        for account in accounts
        if (change := reassess_tier(account, thresholds, percentiles, now)[1]) is not None
    ]
    return TierRecompute(thresholds=thresholds, percentiles=percentiles, changes=changes)


def value_distribution(percentiles: Percentiles, points: int = 100) -> list[dict[str, Any]]:
    """About ``points`` (percent of customers at or below, value) pairs along the stored
    percentiles: the shape of the value distribution."""
    pairs = list(zip(percentiles.values, percentiles.at_or_below, strict=True))
    if not pairs or not percentiles.population:
        return []
    step = max(1, len(pairs) // points)
    chosen = pairs[step - 1::step]
    if chosen[-1] != pairs[-1]:
        chosen.append(pairs[-1])
    return [{"percent": round(100 * below / percentiles.population, 2), "value": str(value)}
            for value, below in chosen]
