"""Points expiry: points expire after ``points_expiry.after_days`` without earning.

The common "12 months of inactivity" rule: every purchase that earns points restarts the
clock (``Account.last_earned_at``); when it runs out the whole balance expires.
``notice_days`` before that a notice is due, once per expiry period (``expiry_notice_for``
holds the expiry moment it was sent for). After an expiry the balance is 0, so a rerun
expires nothing twice. Accounts that never earned by a purchase (a referral bonus only)
have no clock and never expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .account import Account
from .rules import EarningRules


class ExpiryDecision(BaseModel):
    """What is due for one account: a notice before expiry, or the expiry itself."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    kind: Literal["notice", "expire"]
    points: int
    expires_at: datetime


def expires_at(account: Account, rules: EarningRules) -> datetime | None:
    """When the account's points expire; None when they never do."""
    after = rules.points_expiry.after_days
    if after <= 0 or account.points_balance <= 0 or account.last_earned_at is None:
        return None
    return account.last_earned_at + timedelta(days=after)


def expiry_check(account: Account, rules: EarningRules, now: datetime) -> ExpiryDecision | None:
    """The expiry or the notice due at ``now``, else None (nothing twice)."""
    at = expires_at(account, rules)
    if at is None:
        return None
    if now >= at:
        return ExpiryDecision(customer_id=account.customer_id, kind="expire",
                              points=account.points_balance, expires_at=at)
    notice = rules.points_expiry.notice_days
    if notice > 0 and now >= at - timedelta(days=notice) and account.expiry_notice_for != at:
        return ExpiryDecision(customer_id=account.customer_id, kind="notice",
                              points=account.points_balance, expires_at=at)
    return None


def apply_expiry(account: Account, decision: ExpiryDecision) -> Account:
    """The account after the decision: balance 0 for an expiry, the notice remembered."""
    if decision.kind == "expire":
        return account.model_copy(update={"points_balance": 0})
    return account.model_copy(update={"expiry_notice_for": decision.expires_at})
