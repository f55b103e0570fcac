"""Loyalty's use cases: an event or command and the repository in, events out.

Every function here runs inside the caller's transaction (the consume path's, or the HTTP
route's) and reads and writes only through ``LoyaltyRepository``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from services.loyalty import redemptions
from services.loyalty.domain import (
    Account,
    EarningRules,
    UnknownCurrency,
    apply_contact,
    apply_customer_update,
    apply_purchase,
    apply_referral_bonus,
    apply_registration,
    apply_segment,
    loyalty_figures,
    mark_referral_credited,
    profile_bonus,
    reassess_tier,
    referral_credit,
)
from services.loyalty.domain.refunds import RefundRefused, check_refund, refund_points
from services.loyalty.domain.thanks import credit_thank_you
from services.loyalty.domain.tiers import TierChange
from services.loyalty.repository import LoyaltyRepository
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.contracts import (
    CustomerRegistered,
    CustomerSegmented,
    CustomerThanked,
    CustomerUpdated,
    Event,
    InteractionLogged,
    LoyaltyUpdated,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)
from shared.contracts.types import Tier
from shared.database import Document
from shared.errors import Rejected

log = logging.getLogger(__name__)


def tier_changed(change: TierChange, event_id: uuid.UUID | None = None) -> TierChanged:
    fields = change.model_dump()
    return TierChanged(**fields) if event_id is None else TierChanged(event_id=event_id, **fields)


async def on_registered(
    repo: LoyaltyRepository, rules: EarningRules, event: CustomerRegistered, now: datetime
) -> list[Event]:
    """Keep the profile loyalty reports on; credit a referrer if a purchase came first."""
    existing = await repo.account(event.customer_id)
    account = apply_registration(existing, event)
    account = await _claim_card(repo, account, existing.card_number if existing else None)
    account, events = await _credit_referrer(repo, rules, account, event.event_id, now)
    account, bonus_events = _profile_bonus(account, rules, event.event_id, now)
    await repo.count_membership(existing, account)
    await repo.save(account)
    return events + bonus_events


async def on_updated(
    repo: LoyaltyRepository, rules: EarningRules, event: CustomerUpdated, now: datetime
) -> list[Event]:
    """Follow changes of category, person type, source and card number, and which profile
    fields are filled (the profile bonus, credited once when they all are)."""
    stored = await repo.account(event.customer_id)
    existing = stored or Account(customer_id=event.customer_id)
    account = apply_customer_update(existing, event)
    account, events = _profile_bonus(account, rules, event.event_id, now)
    await repo.count_membership(stored, account)
    await repo.save(await _claim_card(repo, account, existing.card_number))
    return events


def _profile_bonus(
    account: Account, rules: EarningRules, source_id: object, now: datetime
) -> tuple[Account, list[Event]]:
    """The profile bonus when the profile has just become complete: the points and a
    loyalty-updated, once per customer (the account's flag; the event id derives from the
    event that completed the profile, so a redelivery publishes nothing new)."""
    credited = profile_bonus(account, rules)
    if credited is None:
        return account, []
    return credited, [LoyaltyUpdated(
        event_id=Event.derived_id(str(source_id), "profile-bonus"),
        **loyalty_figures(credited, rules.profile_bonus.points, now))]  # type: ignore[arg-type]


async def on_segmented(repo: LoyaltyRepository, event: CustomerSegmented) -> list[Event]:
    """Keep a copy of the behavioural segment for profitability by segment."""
    stored = await repo.account(event.customer_id)
    account = apply_segment(stored or Account(customer_id=event.customer_id), event.segment)
    await repo.count_membership(stored, account)
    await repo.save(account)
    return []


async def on_interaction(repo: LoyaltyRepository, event: InteractionLogged) -> list[Event]:
    """Keep the first and last contact, which lapse counts (a redelivery changes nothing)."""
    before = await repo.account(event.customer_id)
    account = apply_contact(before or Account(customer_id=event.customer_id), event.occurred_at)
    if before is None:
        await repo.count_membership(None, account)
    await repo.save(account, before)
    return []


async def on_purchase(
    repo: LoyaltyRepository, rules: EarningRules, event: PurchaseRecorded, now: datetime
) -> list[Event]:
    """Points, value, tier and referral credit for one purchase or refund, counted once."""
    if await repo.purchase(event.purchase_id) is not None:
        return []  # the ledger: a purchase id counts once, whatever its event id
    try:
        rules.currency(event.currency)
    except UnknownCurrency as error:
        raise Rejected(str(error)) from None
    original = await _refunded_purchase(repo, event)
    before = await repo.account(event.customer_id)
    account, points = apply_purchase(
        before or Account(customer_id=event.customer_id), event, rules, now,
        rate_on=None if original is None else original["occurred_at"])
    if original is not None:
        exact = refund_points(original["points"], Decimal(original["amount"]), event.amount)
        account = account.model_copy(
            update={"points_balance": account.points_balance - points + exact})
        points = exact
        await repo.record_refund(
            original["_id"], str(Decimal(original.get("refunded", "0")) + abs(event.amount)))
    given_back = 0
    if event.refund_of is not None and event.amount < 0:  # points redeemed for it come back
        account, given_back = await redemptions.give_back(
            repo, account, event.refund_of, event.purchase_id)
    tiers = await repo.tiers()
    account, change = reassess_tier(account, tiers.thresholds, tiers.percentiles, now)
    account, referral_events = await _credit_referrer(repo, rules, account, event.event_id, now)
    if before is None:
        await repo.count_membership(None, account)
    # the revenue for the reports: what the purchase (or refund) added to the value
    await repo.pending_purchase(event.purchase_id, event.occurred_at, account,
                                account.value_lifetime - (before.value_lifetime if before
                                                          else Decimal(0)))
    await repo.save(account, before)
    await repo.record_purchase({
        "_id": event.purchase_id, "customer_id": event.customer_id, "amount": str(event.amount),
        "currency": event.currency, "points": points, "occurred_at": event.occurred_at,
        "refund_of": event.refund_of, "event_id": str(event.event_id),
    })
    events: list[Event] = [LoyaltyUpdated(
        event_id=Event.derived_id(event.event_id, "loyalty-updated"),
        **loyalty_figures(account, points + given_back, now))]  # type: ignore[arg-type]
    if change is not None:
        events.append(tier_changed(change, Event.derived_id(event.event_id, "tier-changed")))
    return events + referral_events


async def on_thanked(repo: LoyaltyRepository, event: CustomerThanked,
                     now: datetime) -> list[Event]:
    """Credit a thank-you's bonus points once per thank_you_id: the ledger (any age) and
    the account's recent ids (the same transaction) both say whether it was applied."""
    if await repo.thank_you(event.thank_you_id) is not None:
        return []
    before = await repo.account(event.customer_id)
    account = credit_thank_you(before or Account(customer_id=event.customer_id),
                               event.thank_you_id, event.bonus_points)
    await repo.record_thank_you({
        "_id": event.thank_you_id, "customer_id": event.customer_id,
        "reason": event.reason, "points": event.bonus_points, "at": event.occurred_at})
    if account is None or not event.bonus_points:
        return []
    if before is None:
        await repo.count_membership(None, account)
    await repo.save(account, before)
    return [LoyaltyUpdated(
        event_id=Event.derived_id(event.event_id, "loyalty-updated"),
        **loyalty_figures(account, event.bonus_points, now))]  # type: ignore[arg-type]


async def set_tier_floor(
    repo: LoyaltyRepository, audit: AuditTrail, customer_id: str, floor: Tier | None,
    by: Principal, now: datetime,
) -> tuple[Account, list[Event]] | None:
    """An admin's manual tier floor, applied at once and kept in the customer's history;
    None for an unknown customer."""
    account = await repo.account(customer_id)
    if account is None:
        return None
    before = account.manual_tier_floor
    account = account.model_copy(update={"manual_tier_floor": floor})
    tiers = await repo.tiers()
    account, change = reassess_tier(account, tiers.thresholds, tiers.percentiles, now)
    await repo.save(account)
    if before != floor:
        await audit.record(f"customer:{customer_id}", "tier_floor_set", by, now,
                           [{"field": "tier_floor", "from": before, "to": floor}])
    return account, [] if change is None else [tier_changed(change)]


async def _refunded_purchase(
    repo: LoyaltyRepository, event: PurchaseRecorded
) -> Document | None:
    """The ledger entry a refund reverses, checked; None when it names none we know."""
    if event.amount >= 0 or event.refund_of is None:
        return None
    original = await repo.purchase(event.refund_of)
    if original is None:
        return None  # bought before loyalty kept a ledger: the domain's default clawback
    try:
        check_refund(
            event.customer_id, event.currency, event.amount, original["customer_id"],
            original["currency"], Decimal(original["amount"]),
            Decimal(original.get("refunded", "0")),
        )
    except RefundRefused as error:
        raise Rejected(str(error)) from None
    return original


async def _claim_card(
    repo: LoyaltyRepository, account: Account, previous_card: str | None
) -> Account:
    """Map the account's card number to it; a card held by someone else is not taken over."""
    card = account.card_number
    if card is None:
        return account
    owner = await repo.card_owner(card)
    if owner == account.customer_id:
        return account
    if owner is not None:
        log.warning("card number of customer %s belongs to customer %s; not reassigned",
                    account.customer_id, owner)
        return account.model_copy(
            update={"card_number": previous_card if previous_card != card else None})
    if previous_card and previous_card != card:
        await repo.release_card(previous_card)
    await repo.assign_card(card, account.customer_id)
    return account


async def _credit_referrer(
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
    referrer = credited
    events: list[Event] = [ReferralCredited(
        event_id=Event.derived_id(str(source_id), "referral-credited"),
        referrer_id=credit.referrer_id, referred_id=credit.referred_id,
        bonus_points=credit.bonus_points)]
    if delta:
        events.append(LoyaltyUpdated(
            event_id=Event.derived_id(str(source_id), "referrer-loyalty-updated"),
            **loyalty_figures(referrer, delta, now)))  # type: ignore[arg-type]
    return mark_referral_credited(account), events
