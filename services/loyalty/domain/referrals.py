"""Referrals: the referrer earns bonus points once the referred customer has bought."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from .account import ZERO, Account, already_applied, remember
from .rules import EarningRules


class ReferralCredit(BaseModel):
    """Bonus points owed to a referrer, the body of referral.credited."""

    model_config = ConfigDict(frozen=True)

    referrer_id: str
    referred_id: str
    bonus_points: int

    @property
    def credit_id(self) -> str:
        """Idempotency key on the referrer's account: one credit per referred customer."""
        return f"referral:{self.referred_id}"


def referral_credit(
    referred_account: Account, referrer_exists: bool, rules: EarningRules
) -> ReferralCredit | None:
    """The credit due after the referred customer's first purchase, or None.

    None when nobody referred them, they referred themselves, the referrer is unknown to
    loyalty, they have not bought yet, or the credit was already given. A refund of that
    first purchase does not take the credit back. An unknown referrer is not remembered as
    credited, so a later purchase credits them once they are known.
    """
    referrer = referred_account.referred_by
    if (
        referrer is None
        or referrer == referred_account.customer_id
        or not referrer_exists
        or referred_account.purchase_count < 1
        or referred_account.referral_credited
    ):
        return None
    return ReferralCredit(
        referrer_id=referrer,
        referred_id=referred_account.customer_id,
        bonus_points=rules.referral_bonus_points,
    )


def mark_referral_credited(referred_account: Account) -> Account:
    """The referred customer's account once their referrer has been credited."""
    return referred_account.model_copy(update={"referral_credited": True})


def apply_referral_bonus(referrer: Account, credit: ReferralCredit) -> tuple[Account, int]:
    """The referrer's account with the bonus added, and the points delta (0 if redelivered)."""
    if already_applied(referrer, credit.credit_id):
        return referrer, 0
    updated = referrer.model_copy(
        update={
            "points_balance": referrer.points_balance + credit.bonus_points,
            "recent_ids": remember(referrer.recent_ids, credit.credit_id),
        }
    )
    return updated, credit.bonus_points


class ReferrerSummary(BaseModel):
    """One line of the referral report: the business a referrer's customers brought."""

    model_config = ConfigDict(frozen=True)

    referrer_id: str
    referred_customers: int
    buying_customers: int
    credited: int
    revenue: Decimal


def referral_report(accounts: Iterable[Account],
                    value: Callable[[Account], Decimal] | None = None) -> list[ReferrerSummary]:
    """Referrers by the value their referred customers brought (lifetime, or ``value`` of
    each: a period's), highest first."""
    referred: dict[str, list[Account]] = {}
    for account in accounts:
        if account.referred_by is not None and account.referred_by != account.customer_id:
            referred.setdefault(account.referred_by, []).append(account)
    summaries = [
        ReferrerSummary(
            referrer_id=referrer_id,
            referred_customers=len(group),
            buying_customers=sum(1 for a in group if a.purchase_count > 0),
            credited=sum(1 for a in group if a.referral_credited),
            revenue=sum((a.value_lifetime if value is None else value(a) for a in group),
                        ZERO),
        )
        for referrer_id, group in referred.items()
    ]
    return sorted(summaries, key=lambda s: (-s.revenue, s.referrer_id))
