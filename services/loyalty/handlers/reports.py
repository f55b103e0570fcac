"""What loyalty answers over HTTP: the card by number and the analytics reports.

Reports scan the accounts (analytics, not the hot path); money is a decimal string. They
name customers by ``customer_id`` only: a card number identifies a person as well as a
phone does, and analysts (who read the reports) see no personal data.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from services.loyalty.domain import (
    Account,
    GroupBy,
    expected_interval_days,
    referral_report,
    trailing_12m_value,
    value_month,
    value_percentile,
    value_year,
)
from services.loyalty.domain.periods import Period, day_of, month_in, period_profitability
from services.loyalty.domain.rules import EarningRules
from services.loyalty.domain.tiers import value_distribution
from services.loyalty.repository import LoyaltyRepository

LIFETIME = Period()


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def card_view(account: Account, now: datetime, *, personal: bool) -> dict[str, Any]:
    """Balance, tier and value of one loyalty account; without ``personal`` (an analyst's
    answer) the card number is left out and the customer named by id only."""
    return {
        "customer_id": account.customer_id,
        **({"card_number": account.card_number} if personal else {}),
        "points_balance": account.points_balance,
        "tier": account.tier,
        "manual_tier_floor": account.manual_tier_floor,
        "value_month": str(value_month(account, now)),
        "value_year": str(value_year(account, now)),
        "value_lifetime": str(account.value_lifetime),
        "value_12m": str(trailing_12m_value(account, now)),
        "purchase_count": account.purchase_count,
        "average_basket": str(account.average_basket),
        "average_interval_days": account.average_interval_days,
        "last_purchase_at": account.last_purchase_at,
        "lapsed": account.lapsed,
    }


async def profitability_report(repo: LoyaltyRepository, by: GroupBy,
                               period: Period = LIFETIME) -> dict[str, Any]:
    """A period's revenue per group (lifetime when open), from the running totals; a
    group's customers are every customer loyalty knows in it now, erased ones included."""
    report = period_profitability(by, await repo.days_of(by, period), await repo.sizes_of(by))
    return {**report.model_dump(mode="json"), "period": period.as_json()}


async def gold_report(repo: LoyaltyRepository, now: datetime, limit: int) -> dict[str, Any]:
    """The thresholds of the last recompute, the value distribution it saw (the value at
    each percentile, for a chart), and the gold customers, best first."""
    state = await repo.tiers()
    if limit == 0:  # the figures only (the analyst view): counted, not read
        gold = []
        count = await repo.count_gold()
    else:
        gold = sorted(
            [(trailing_12m_value(a, now), a) async for a in repo.gold_accounts()],
            key=lambda pair: (-pair[0], pair[1].customer_id),
        )
        count = len(gold)
    return {
        "gold_percent": state.thresholds.gold_percent,
        "gold_threshold": money(state.thresholds.gold_min),
        "silver_threshold": money(state.thresholds.silver_min),
        "population": state.thresholds.population,
        "computed_at": state.computed_at,
        "distribution": value_distribution(state.percentiles),
        "count": count,
        "customers": [
            {"customer_id": a.customer_id, "value_12m": str(value),
             "manual_tier_floor": a.manual_tier_floor,
             "value_percentile": value_percentile(value, state.percentiles)}
            for value, a in gold[:limit]
        ],
    }


async def lapsed_report(
    repo: LoyaltyRepository, rules: EarningRules, now: datetime, limit: int,
    period: Period = LIFETIME,
) -> dict[str, Any]:
    """Lapsed customers (lapsed in the period, when one is given), the most valuable first:
    whom to win back; and how many lapsed each month."""
    lapsed = sorted([a async for a in repo.lapsed_accounts()
                     if a.lapsed_since is None or period.holds(day_of(a.lapsed_since))],
                    key=lambda a: (-a.value_lifetime, a.customer_id))
    months: dict[str, int] = {}
    for account in lapsed:
        if account.lapsed_since is not None:
            month = day_of(account.lapsed_since)[:7]
            months[month] = months.get(month, 0) + 1
    return {
        "period": period.as_json(),
        "by_month": [{"month": m, "lapsed": months[m]} for m in sorted(months)],
        "count": len(lapsed),
        "customers": [
            {"customer_id": a.customer_id, "last_purchase_at": a.last_purchase_at,
             "lapsed_since": a.lapsed_since,
             "expected_interval_days": round(expected_interval_days(a, rules), 2),
             "days_since": round((now - a.last_purchase_at).total_seconds() / 86_400, 2)
             if a.last_purchase_at else None,
             "value_lifetime": str(a.value_lifetime), "category": a.category}
            for a in lapsed[:limit]
        ],
    }


async def referrals_report(repo: LoyaltyRepository, limit: int,
                           period: Period = LIFETIME) -> dict[str, Any]:
    """Referrers by the value of the customers they brought: lifetime, or in the months
    a period touches (values are kept by month)."""
    referred = repo.referred_accounts()
    in_period = None if period == LIFETIME else (lambda a: sum(
        (v for m, v in a.value_by_month.items() if month_in(period, m)), Decimal(0)))
    report = referral_report([a async for a in referred], in_period)
    return {
        "period": period.as_json(),
        "referrers": len(report),
        "total_revenue": str(sum((s.revenue for s in report), Decimal(0))),
        "top": [s.model_dump(mode="json") for s in report[:limit]],
    }
