"""A purchase or refund (crm.purchase.recorded.v1): points, value, tier, referral credit."""

from __future__ import annotations

from datetime import datetime

from services.loyalty.domain import EarningRules, UnknownCurrency
from services.loyalty.domain.purchases import purchase_effect, refunded_purchase_id
from services.loyalty.domain.refunds import RefundRefused
from services.loyalty.handlers.events import loyalty_updated, tier_changed
from services.loyalty.handlers.referrals import credit_referrer
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import Event, PurchaseRecorded
from shared.errors import Rejected


async def on_purchase(
    repo: LoyaltyRepository, rules: EarningRules, event: PurchaseRecorded, now: datetime
) -> list[Event]:
    """Points, value, tier and referral credit for one purchase or refund, counted once."""
    if await repo.purchase(event.purchase_id) is not None:
        return []  # the ledger: a purchase id counts once, whatever its event id
    refunded = refunded_purchase_id(event)
    original = None if refunded is None else await repo.ledger_entry(refunded)
    paying = [] if refunded is None else [r async for r in repo.redemptions_paying_for(refunded)]
    before = await repo.account(event.customer_id)
    tiers = await repo.tiers()
    try:
        effect = purchase_effect(before, event, str(event.event_id), rules, now,
                                 tiers.thresholds, tiers.percentiles, original, paying)
    except (UnknownCurrency, RefundRefused) as error:
        raise Rejected(str(error)) from None
    account, referral_events = await credit_referrer(
        repo, rules, effect.account, event.event_id, now)
    if effect.refund is not None:
        await repo.record_refund(effect.refund.purchase_id, str(effect.refund.refunded))
    for redemption_id in effect.reversed_redemptions:
        await repo.mark_reversed(redemption_id, event.purchase_id)
    if before is None:
        await repo.count_membership(None, account)
    # the revenue for the reports: what the purchase (or refund) added to the value
    await repo.pending_purchase(event.purchase_id, event.occurred_at, account,
                                effect.value_change)
    await repo.save(account, before)
    await repo.record_purchase(effect.entry)
    events: list[Event] = [loyalty_updated(
        Event.derived_id(event.event_id, "loyalty-updated"), account, effect.points_delta, now)]
    if effect.tier_change is not None:
        events.append(tier_changed(effect.tier_change,
                                   Event.derived_id(event.event_id, "tier-changed")))
    return events + referral_events
