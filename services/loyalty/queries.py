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
    profitability,
    referral_report,
    trailing_12m_value,
    value_month,
    value_percentile,
    value_year,
)
from services.loyalty.domain.rules import EarningRules
from services.loyalty.repository import LoyaltyRepository

GOLD_FIELDS = ("value_by_month", "manual_tier_floor", "tier")
REFERRAL_FIELDS = ("referred_by", "purchase_count", "referral_credited", "value_lifetime")


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


async def profitability_report(repo: LoyaltyRepository, by: GroupBy) -> dict[str, Any]:
    """Lifetime revenue per group; every account loyalty knows counts as a customer."""
    rows = [(getattr(a, by), a.value_lifetime)
            async for a in repo.all_accounts(fields=(by, "value_lifetime"),
                                                include_erased=True)]
    return profitability(rows, by).model_dump(mode="json")


async def gold_report(repo: LoyaltyRepository, now: datetime, limit: int) -> dict[str, Any]:
    """The thresholds of the last recompute and the gold customers, best first."""
    state = await repo.tiers()
    accounts = repo.all_accounts({"tier": "gold"}, GOLD_FIELDS)
    gold = sorted(
        [(trailing_12m_value(a, now), a) async for a in accounts],
        key=lambda pair: (-pair[0], pair[1].customer_id),
    )
    return {
        "gold_percent": state.thresholds.gold_percent,
        "gold_threshold": money(state.thresholds.gold_min),
        "silver_threshold": money(state.thresholds.silver_min),
        "population": state.thresholds.population,
        "computed_at": state.computed_at,
        "count": len(gold),
        "customers": [
            {"customer_id": a.customer_id, "value_12m": str(value),
             "manual_tier_floor": a.manual_tier_floor,
             "value_percentile": value_percentile(value, state.percentiles)}
            for value, a in gold[:limit]
        ],
    }


async def lapsed_report(
    repo: LoyaltyRepository, rules: EarningRules, now: datetime, limit: int
) -> dict[str, Any]:
    """Lapsed customers, the most valuable first: whom to win back."""
    lapsed = sorted([a async for a in repo.all_accounts({"lapsed": True})],
                    key=lambda a: (-a.value_lifetime, a.customer_id))
    return {
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


async def referrals_report(repo: LoyaltyRepository, limit: int) -> dict[str, Any]:
    """Referrers by the lifetime value of the customers they brought."""
    referred = repo.all_accounts({"referred_by": {"$ne": None}}, REFERRAL_FIELDS,
                                include_erased=True)
    report = referral_report([a async for a in referred])
    return {
        "referrers": len(report),
        "total_revenue": str(sum((s.revenue for s in report), Decimal(0))),
        "top": [s.model_dump(mode="json") for s in report[:limit]],
    }
