"""Customers as registry describes them (registered, updated, segmented, in contact) and
an admin's tier floor: an event or command and the repository in, events out.

Every function here runs inside the caller's transaction (the consume path's, or the HTTP
route's) and reads and writes only through ``LoyaltyRepository``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from services.loyalty.domain import (
    Account,
    EarningRules,
    apply_contact,
    apply_customer_update,
    apply_registration,
    apply_segment,
    profile_bonus,
    reassess_tier,
)
from services.loyalty.domain.cards import claim_card
from services.loyalty.handlers.events import loyalty_updated, tier_changed
from services.loyalty.handlers.referrals import credit_referrer
from services.loyalty.repository import LoyaltyRepository
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.contracts import (
    CustomerRegistered,
    CustomerSegmented,
    CustomerUpdated,
    Event,
    InteractionLogged,
)
from shared.contracts.types import Tier

log = logging.getLogger(__name__)


async def on_registered(
    repo: LoyaltyRepository, rules: EarningRules, event: CustomerRegistered, now: datetime
) -> list[Event]:
    """Keep the profile loyalty reports on; credit a referrer if a purchase came first."""
    existing = await repo.account(event.customer_id)
    account = apply_registration(existing, event)
    account = await _claim_card(repo, account, existing.card_number if existing else None)
    account, events = await credit_referrer(repo, rules, account, event.event_id, now)
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
    return credited, [loyalty_updated(Event.derived_id(str(source_id), "profile-bonus"),
                                      credited, rules.profile_bonus.points, now)]


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


async def _claim_card(
    repo: LoyaltyRepository, account: Account, previous_card: str | None
) -> Account:
    """Map the account's card number to it; a card held by someone else is not taken over."""
    if account.card_number is None:
        return account
    claim = claim_card(account, await repo.card_owner(account.card_number), previous_card)
    if claim.held_by is not None:
        log.warning("card number of customer %s belongs to customer %s; not reassigned",
                    account.customer_id, claim.held_by)
    if claim.release is not None:
        await repo.release_card(claim.release)
    if claim.assign is not None:
        await repo.assign_card(claim.assign, account.customer_id)
    return claim.account
