"""Profitability: revenue by customer group, with shares that add up exactly."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

GroupBy = Literal["category", "source", "segment", "person_type"]
GROUP_BY: tuple[str, ...] = get_args(GroupBy)
UNKNOWN = "unknown"
SHARE_QUANTUM = Decimal("0.0001")
CENT = Decimal("0.01")


class GroupProfit(BaseModel):
    """One group's line in the profitability report."""

    model_config = ConfigDict(frozen=True)

    group: str
    revenue: Decimal
    customers: int
    revenue_per_customer: Decimal
    share: Decimal


class ProfitabilityReport(BaseModel):
    """Groups by revenue, highest first; revenues sum to total_revenue, shares to 1."""

    model_config = ConfigDict(frozen=True)

    by: GroupBy
    total_revenue: Decimal
    customers: int
    groups: list[GroupProfit]


def _shares(revenues: list[Decimal], total: Decimal) -> list[Decimal]:
    """Shares to four places that sum to exactly 1 (largest remainder); all 0 if total is 0."""
    if total == 0:
        return [Decimal(0)] * len(revenues)
    raw = [r / total for r in revenues]
    floored = [x.quantize(SHARE_QUANTUM, rounding=ROUND_FLOOR) for x in raw]
    missing = int((1 - sum(floored, Decimal(0))) / SHARE_QUANTUM)
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - floored[i], reverse=True)
    for i in by_remainder[:missing]:
        floored[i] += SHARE_QUANTUM
    return floored


def profitability(rows: Iterable[tuple[str | None, Decimal]], by: GroupBy) -> ProfitabilityReport:
    """Revenue, customers, revenue per customer and share of total for each group.

    `rows` holds one (group value, revenue) pair per customer; a missing or empty group
    value counts as "unknown". Revenue is summed exactly; revenue per customer is to the cent.
    """
    if by not in GROUP_BY:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_BY)}")
    revenue: dict[str, Decimal] = {}
    customers: dict[str, int] = {}
    for group, amount in rows:
        name = group or UNKNOWN
        revenue[name] = revenue.get(name, Decimal(0)) + amount
        customers[name] = customers.get(name, 0) + 1
    names = sorted(revenue, key=lambda g: (-revenue[g], g))
    total = sum(revenue.values(), Decimal(0))
    shares = _shares([revenue[g] for g in names], total)
    groups = [
        GroupProfit(
            group=g,
            revenue=revenue[g],
            customers=customers[g],
            revenue_per_customer=(revenue[g] / customers[g]).quantize(CENT, ROUND_HALF_EVEN),
            share=share,
        )
        for g, share in zip(names, shares, strict=True)
    ]
    return ProfitabilityReport(
        by=by, total_revenue=total, customers=sum(customers.values()), groups=groups
    )
