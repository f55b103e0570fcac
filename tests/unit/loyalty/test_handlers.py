"""Loyalty's use cases on the in-process database: purchases, the ledger, referrals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.loyalty import handlers
from services.loyalty.domain import EarningRules
from services.loyalty.domain.rules import ProfileBonus
from shared.audit import AuditTrail
from shared.auth import Principal, Role
from shared.contracts import (
    CustomerUpdated,
    Event,
    LoyaltyUpdated,
    ReferralCredited,
    TierChanged,
)
from shared.currencies import DatedRate
from shared.errors import Rejected
from tests.unit.loyalty.wiring import NOW, bought, new_repo, registered

ADMIN = Principal(Role.ADMIN, "op-olga", person=True, display_name="Olga Admin")


async def test_a_purchase_adds_points_and_value_and_announces_loyalty_updated(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1", card_number="card-1"), NOW)
    purchase = bought("c-1", "1250.00")

    events = await handlers.on_purchase(repo, rules, purchase, NOW)

    account = await repo.account("c-1")
    assert account is not None
    assert account.points_balance == 12
    assert account.value_lifetime == Decimal("1250.00")
    assert [type(e) for e in events] == [LoyaltyUpdated]
    updated = events[0]
    assert isinstance(updated, LoyaltyUpdated)
    assert updated.event_id == Event.derived_id(purchase.event_id, "loyalty-updated")
    assert (updated.points_delta, updated.points_balance) == (12, 12)
    assert updated.value_month == updated.value_year == updated.value_lifetime == Decimal("1250")
    assert updated.card_number == "card-1"


async def test_a_duplicate_purchase_id_with_a_new_event_id_changes_nothing(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    first = bought("c-1", "500.00", purchase_id="p-1")
    await handlers.on_purchase(repo, rules, first, NOW)
    before = await repo.account("c-1")

    again = bought("c-1", "500.00", purchase_id="p-1")
    assert again.event_id != first.event_id
    assert await handlers.on_purchase(repo, rules, again, NOW) == []
    assert await repo.account("c-1") == before


async def test_a_purchase_in_an_unknown_currency_is_rejected_for_the_dead_letter_topic(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    with pytest.raises(Rejected, match="GBP"):
        await handlers.on_purchase(repo, rules, bought("c-1", "10", currency="GBP"), NOW)
    assert await repo.account("c-1") is None


async def test_a_refund_is_negative_value_and_takes_back_points(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "1000", purchase_id="p-1"), NOW)
    events = await handlers.on_purchase(repo, rules, bought("c-1", "-400", refund_of="p-1"), NOW)

    account = await repo.account("c-1")
    assert account is not None
    assert (account.points_balance, account.value_lifetime) == (6, Decimal(600))
    assert isinstance(events[0], LoyaltyUpdated) and events[0].points_delta == -4


async def test_a_full_refund_takes_back_exactly_the_points_earned_whatever_the_category(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "1000", purchase_id="p-1"), NOW)
    await handlers.on_updated(
        repo, rules, CustomerUpdated(customer_id="c-1", category="employee"), NOW)
    await handlers.on_purchase(repo, rules, bought("c-1", "-1000", refund_of="p-1"), NOW)
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 0


def with_usd_rates(rules: EarningRules, before: str, since_2026: str) -> EarningRules:
    """The rules with USD worth ``before`` RUB in 2025 and ``since_2026`` from 2026 on."""
    usd = [DatedRate(since=date(2025, 1, 1), rate=Decimal(before)),
           DatedRate(since=date(2026, 1, 1), rate=Decimal(since_2026))]
    exchange = rules.exchange.model_copy(
        update={"currencies": {**rules.exchange.currencies, "USD": usd}})
    return rules.model_copy(update={"exchange": exchange})


async def test_value_is_kept_at_the_rate_of_the_purchase_date(rules: EarningRules) -> None:
    repo, dated = new_repo(), with_usd_rates(rules, "100", "90")
    december = datetime(2025, 12, 20, tzinfo=UTC)
    await handlers.on_purchase(repo, dated, bought("c-1", "10", at=december, currency="USD"), NOW)
    await handlers.on_purchase(repo, dated, bought("c-1", "10", currency="USD"), NOW)
    account = await repo.account("c-1")
    assert account is not None
    assert account.value_by_month == {"2025-12": Decimal(1000), "2026-06": Decimal(900)}


async def test_a_refund_naming_its_purchase_takes_back_the_value_at_that_purchase_rate(
    rules: EarningRules,
) -> None:
    repo, dated = new_repo(), with_usd_rates(rules, "100", "90")
    december = datetime(2025, 12, 20, tzinfo=UTC)
    await handlers.on_purchase(
        repo, dated, bought("c-1", "10", "p-1", at=december, currency="USD"), NOW)
    await handlers.on_purchase(
        repo, dated, bought("c-1", "-10", currency="USD", refund_of="p-1"), NOW)
    account = await repo.account("c-1")
    assert account is not None and account.value_lifetime == 0


async def test_refunds_beyond_the_purchase_they_name_are_rejected(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "1000", purchase_id="p-1"), NOW)
    await handlers.on_purchase(repo, rules, bought("c-1", "-600", refund_of="p-1"), NOW)
    with pytest.raises(Rejected, match="exceed"):
        await handlers.on_purchase(repo, rules, bought("c-1", "-600", refund_of="p-1"), NOW)


async def test_the_referrer_is_credited_once_after_the_first_purchase(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("friend"), NOW)
    await handlers.on_registered(repo, rules, registered("newbie", referred_by="friend"), NOW)

    first = await handlers.on_purchase(repo, rules, bought("newbie", "100"), NOW)
    second = await handlers.on_purchase(repo, rules, bought("newbie", "100"), NOW)

    credits = [e for e in first if isinstance(e, ReferralCredited)]
    assert [(c.referrer_id, c.referred_id, c.bonus_points) for c in credits] == [
        ("friend", "newbie", 500)]
    referrer_updates = [e for e in first if isinstance(e, LoyaltyUpdated)
                        and e.customer_id == "friend"]
    assert [(u.points_delta, u.points_balance) for u in referrer_updates] == [(500, 500)]
    assert not any(isinstance(e, ReferralCredited) for e in second)
    friend = await repo.account("friend")
    assert friend is not None and friend.points_balance == 500


async def test_a_referral_is_credited_when_the_registration_arrives_after_the_purchase(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("friend"), NOW)
    await handlers.on_purchase(repo, rules, bought("newbie", "300"), NOW)
    events = await handlers.on_registered(
        repo, rules, registered("newbie", referred_by="friend"), NOW)
    assert [type(e) for e in events] == [ReferralCredited, LoyaltyUpdated]
    newbie = await repo.account("newbie")
    assert newbie is not None and newbie.value_lifetime == Decimal(300)


async def test_a_card_number_held_by_another_customer_is_not_taken_over(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1", card_number="777"), NOW)
    await handlers.on_registered(repo, rules, registered("c-2", card_number="777"), NOW)
    assert await repo.card_owner("777") == "c-1"
    await handlers.on_updated(
        repo, rules, CustomerUpdated(customer_id="c-1", card_number="888"), NOW)
    assert (await repo.card_owner("777"), await repo.card_owner("888")) == (None, "c-1")


async def test_a_tier_floor_lifts_the_tier_at_once_and_clearing_it_drops_it(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "100"), NOW)

    lifted = await handlers.set_tier_floor(repo, AuditTrail(repo.db), "c-1", "gold", ADMIN, NOW)
    assert lifted is not None
    account, events = lifted
    assert account.tier == "gold"
    assert [(e.old_tier, e.new_tier) for e in events if isinstance(e, TierChanged)] == [
        ("standard", "gold")]
    cleared = await handlers.set_tier_floor(repo, AuditTrail(repo.db), "c-1", None, ADMIN, NOW)
    assert cleared is not None and cleared[0].tier == "standard"
    assert await handlers.set_tier_floor(
        repo, AuditTrail(repo.db), "nobody", "gold", ADMIN, NOW) is None


async def test_a_tier_floor_change_is_kept_with_who_made_it(rules: EarningRules) -> None:
    repo = new_repo()
    audit = AuditTrail(repo.db)
    await handlers.on_purchase(repo, rules, bought("c-1", "100"), NOW)
    await handlers.set_tier_floor(repo, audit, "c-1", "silver", ADMIN, NOW)
    await handlers.set_tier_floor(repo, audit, "c-1", "silver", ADMIN, NOW)  # no change
    [entry] = await audit.entries("customer:c-1")
    assert (entry["action"], entry["by"], entry["by_name"]) == (
        "tier_floor_set", "op-olga", "Olga Admin")
    assert entry["changes"] == [{"field": "tier_floor", "from": None, "to": "silver"}]


def with_profile_bonus(rules: EarningRules) -> EarningRules:
    return rules.model_copy(update={"profile_bonus": ProfileBonus(
        points=100, fields=["email", "source"])})


async def test_the_profile_bonus_is_credited_once_when_the_profile_becomes_complete(
    rules: EarningRules,
) -> None:
    rules, repo = with_profile_bonus(rules), new_repo()
    assert await handlers.on_registered(repo, rules, registered("c-1", source="friend"), NOW) == []
    completing = CustomerUpdated(customer_id="c-1", email="a@example.ru", changed=["email"])

    [update] = await handlers.on_updated(repo, rules, completing, NOW)
    again = await handlers.on_updated(repo, rules, completing, NOW)  # redelivered
    cleared = CustomerUpdated(customer_id="c-1", changed=["email"])
    await handlers.on_updated(repo, rules, cleared, NOW)
    refilled = await handlers.on_updated(repo, rules, CustomerUpdated(
        customer_id="c-1", email="b@example.ru", changed=["email"]), NOW)

    assert isinstance(update, LoyaltyUpdated)
    assert (update.points_delta, update.points_balance) == (100, 100)
    assert again == [] and refilled == []
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 100


async def test_a_registration_with_a_complete_profile_earns_the_bonus_at_once(
    rules: EarningRules,
) -> None:
    rules, repo = with_profile_bonus(rules), new_repo()
    event = registered("c-1", email="a@example.ru", source="friend")
    [update] = await handlers.on_registered(repo, rules, event, NOW)
    assert isinstance(update, LoyaltyUpdated) and update.points_delta == 100
    assert await handlers.on_registered(repo, rules, event, NOW) == []  # redelivered
