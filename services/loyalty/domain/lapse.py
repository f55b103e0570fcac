"""Lapse: a customer is lapsed when they stay away much longer than they usually do."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .account import Account
from .rules import EarningRules

SECONDS_PER_DAY = 86_400


class LapseDecision(BaseModel):
    """A customer has just lapsed; the body of customer.lapsed."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    last_purchase_at: datetime
    expected_interval_days: float
    days_since: float


def expected_interval_days(account: Account, rules: EarningRules) -> float:
    """The customer's usual interval: their own average, or the default for one-time buyers.

    The own average is never taken below min_interval_days, so two purchases on the same day
    do not make a customer lapse a few hours later.
    """
    own = account.average_interval_days
    if own is None:
        return float(rules.default_interval_days)
    return max(own, float(rules.min_interval_days))


def lapse_check(account: Account, rules: EarningRules, now: datetime) -> LapseDecision | None:
    """A LapseDecision when the customer has just lapsed, else None.

    Lapsed: the days since the last purchase exceed lapse_multiple x the usual interval.
    Fires once per lapse: an account already flagged gives None until a new purchase clears
    the flag (apply_purchase does), after which a later lapse fires again.
    """
    if account.lapsed or account.last_purchase_at is None:
        return None
    expected = expected_interval_days(account, rules)
    days_since = (now - account.last_purchase_at).total_seconds() / SECONDS_PER_DAY
    if days_since <= float(rules.lapse_multiple) * expected:
        return None
    return LapseDecision(
        customer_id=account.customer_id,
        last_purchase_at=account.last_purchase_at,
        expected_interval_days=round(expected, 4),
        days_since=round(days_since, 4),
    )


def mark_lapsed(account: Account, now: datetime) -> Account:
    """The account flagged as lapsed since `now` (after a LapseDecision was published)."""
    return account.model_copy(update={"lapsed": True, "lapsed_since": now})
