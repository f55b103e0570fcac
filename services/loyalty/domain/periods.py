"""Reports for a period: the revenue of each customer group day by day, kept as running
totals, and the profitability of a chosen period read from them. Pure functions, no I/O.

A purchase's revenue (its value in the value currency; a refund's is negative) counts on
the purchase's own day (UTC) for the groups the customer was in when it was recorded:
changing a customer's category later does not move last quarter's revenue. A group's
``customers`` are the customers in it now (the denominator of revenue per customer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from shared.periods import BadPeriod, Period, day_of

from .profitability import CENT, GROUP_BY, UNKNOWN, GroupBy, GroupProfit, ProfitabilityReport

__all__ = [
    "GROUP_BY",
    "BadPeriod",
    "DayTotals",
    "Period",
    "SizeChanges",
    "day_of",
    "group_values",
    "month_in",
    "period_profitability",
]
from .profitability import _shares as shares


def group_values(fields: Mapping[str, Any]) -> dict[str, str]:
    """The groups a customer is in, one per grouping (a missing value is "unknown")."""
    return {by: str(fields.get(by) or UNKNOWN) for by in GROUP_BY}


def day_key(by: str, group: str, day: str) -> str:
    return f"{by}|{group}|{day}"


@dataclass
class DayTotals:
    """What folding some purchases adds to the running totals: per (by, group, day), the
    revenue and the number of purchases (a refund counts as one too)."""

    revenue: dict[str, Decimal]
    purchases: dict[str, int]

    @classmethod
    def of(cls, purchases: Iterable[tuple[str, Mapping[str, str], Decimal]]) -> DayTotals:
        """From (day, groups, value) per purchase."""
        totals = cls({}, {})
        for day, groups, value in purchases:
            for by in GROUP_BY:
                key = day_key(by, groups.get(by) or UNKNOWN, day)
                totals.revenue[key] = totals.revenue.get(key, Decimal(0)) + value
                totals.purchases[key] = totals.purchases.get(key, 0) + 1
        return totals


@dataclass
class SizeChanges:
    """What folding some membership changes adds to each group's count of customers."""

    delta: dict[str, int]

    @classmethod
    def of(cls, changes: Iterable[tuple[Mapping[str, str] | None, Mapping[str, str] | None]],
           ) -> SizeChanges:
        """From (groups before, groups after) per change; ``None`` before is a new customer."""
        delta: dict[str, int] = {}
        for before, after in changes:
            for by in GROUP_BY:
                old = None if before is None else before.get(by) or UNKNOWN
                new = None if after is None else after.get(by) or UNKNOWN
                if old == new:
                    continue
                if old is not None:
                    delta[f"{by}|{old}"] = delta.get(f"{by}|{old}", 0) - 1
                if new is not None:
                    delta[f"{by}|{new}"] = delta.get(f"{by}|{new}", 0) + 1
        return cls({k: v for k, v in delta.items() if v})


def period_profitability(by: GroupBy, days: Iterable[Mapping[str, Any]],
                         sizes: Mapping[str, int]) -> ProfitabilityReport:
    """The groups' revenue over the days read (rows ``{group, revenue}``), with each
    group's customers now; a group with customers and no revenue in the period is listed
    with 0 (it is part of the picture: nobody in it bought)."""
    revenue: dict[str, Decimal] = {group: Decimal(0) for group, n in sizes.items() if n > 0}
    for row in days:
        revenue[row["group"]] = revenue.get(row["group"], Decimal(0)) + Decimal(row["revenue"])
    names = sorted(revenue, key=lambda g: (-revenue[g], g))
    total = sum(revenue.values(), Decimal(0))
    groups = [
        GroupProfit(
            group=g, revenue=revenue[g], customers=max(sizes.get(g, 0), 0),
            revenue_per_customer=(revenue[g] / sizes[g]).quantize(CENT, ROUND_HALF_EVEN)
            if sizes.get(g, 0) > 0 else Decimal(0),
            share=share)
        for g, share in zip(names, shares([revenue[g] for g in names], total), strict=True)
    ]
    return ProfitabilityReport(by=by, total_revenue=total,
                               customers=sum(max(n, 0) for n in sizes.values()), groups=groups)


def days_between(start: date, end: date) -> list[str]:
    """Every day from ``start`` to ``end`` included, as ``YYYY-MM-DD`` (for a chart's axis)."""
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def month_in(period: Period, month: str) -> bool:
    """Whether a ``YYYY-MM`` month overlaps the period (reports kept by month)."""
    return ((period.start is None or month >= period.start.isoformat()[:7])
            and (period.end is None or month <= period.end.isoformat()[:7]))
