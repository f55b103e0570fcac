"""A referrer's bonus, credited once after the referred customer's first purchase."""

from __future__ import annotations

from datetime import datetime

from services.loyalty.domain import (
    Account,
    EarningRules,
    apply_referral_bonus,
    mark_referral_credited,
    referral_credit,
)
from services.loyalty.handlers.events import loyalty_updated
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import Event, ReferralCredited


async def credit_referrer(
    repo: LoyaltyRepository, rules: EarningRules, account: Account, source_id: object,
    now: datetime,
) -> tuple[Account, list[Event]]:
    """After the referred customer's first purchase: bonus points for the referrer, once."""
    if account.referred_by is None or account.referral_credited or account.purchase_count < 1:
        return account, []
    referrer = await repo.account(account.referred_by)
    credit = referral_credit(account, referrer is not None, rules)
    if credit is None or referrer is None:
        return account, []
    credited, delta = apply_referral_bonus(referrer, credit)
    await repo.save(credited, referrer)
    events: list[Event] = [ReferralCredited(
        event_id=Event.derived_id(str(source_id), "referral-credited"),
        referrer_id=credit.referrer_id, referred_id=credit.referred_id,
        bonus_points=credit.bonus_points)]
    if delta:
        events.append(loyalty_updated(
            Event.derived_id(str(source_id), "referrer-loyalty-updated"), credited, delta, now))
    return mark_referral_credited(account), events
