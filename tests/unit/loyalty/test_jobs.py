"""The periodic jobs and the reports, on the in-process database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from services.loyalty import handlers, jobs
from services.loyalty.domain import EarningRules
from services.loyalty.handlers import reports
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import CustomerLapsed, Event, InteractionLogged, TierChanged
from tests.unit.loyalty.wiring import NOW, bought, new_repo, registered, run_tier_job


async def run_tiers(repo: LoyaltyRepository, rules: EarningRules) -> list[Event]:
    return await run_tier_job(repo, rules)


async def run_lapse(repo: LoyaltyRepository, rules: EarningRules, days: int) -> list[Event]:
    at = NOW + timedelta(days=days)
    return await jobs.apply_lapses(repo, rules, await jobs.plan_lapses(repo, rules, at), at)


async def ten_customers(repo: LoyaltyRepository, rules: EarningRules) -> None:
    for n in range(1, 11):
        await handlers.on_purchase(repo, rules, bought(f"c-{n:02d}", f"{n * 1000}"), NOW)


async def test_the_tier_job_makes_exactly_the_top_fifth_gold(rules: EarningRules) -> None:
    repo = new_repo()
    await ten_customers(repo, rules)

    events = await run_tiers(repo, rules)

    report = await reports.gold_report(repo, NOW, limit=100)
    assert [c["customer_id"] for c in report["customers"]] == ["c-10", "c-09"]
    assert report["gold_threshold"] == "9000"
    moves = {(e.customer_id, e.new_tier) for e in events if isinstance(e, TierChanged)}
    assert moves == {("c-10", "gold"), ("c-09", "gold"), ("c-08", "silver"),
                     ("c-07", "silver")}


async def test_tier_changed_is_emitted_on_a_change_only(rules: EarningRules) -> None:
    repo = new_repo()
    await ten_customers(repo, rules)
    await run_tiers(repo, rules)
    assert await run_tiers(repo, rules) == []

    small = await handlers.on_purchase(repo, rules, bought("c-01", "10"), NOW)
    assert not any(isinstance(e, TierChanged) for e in small)
    big = await handlers.on_purchase(repo, rules, bought("c-01", "50000"), NOW)
    changes = [e for e in big if isinstance(e, TierChanged)]
    assert [(e.old_tier, e.new_tier) for e in changes] == [("standard", "gold")]
    assert changes[0].value_percentile == 100.0


async def test_the_lapse_job_announces_each_lapse_once(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "100"), NOW)

    assert await run_lapse(repo, rules, days=100) == []  # default interval 90 x 2
    first = await run_lapse(repo, rules, days=200)
    again = await run_lapse(repo, rules, days=300)

    assert [type(e) for e in first] == [CustomerLapsed]
    assert again == []
    lapsed = await reports.lapsed_report(repo, rules, NOW + timedelta(days=300), limit=10)
    assert [c["customer_id"] for c in lapsed["customers"]] == ["c-1"]

    back = NOW + timedelta(days=301)
    await handlers.on_purchase(repo, rules, bought("c-1", "100", at=back), back)
    later = await run_lapse(repo, rules, days=1000)
    assert [type(e) for e in later] == [CustomerLapsed]
    assert later[0].event_id != first[0].event_id


def called(customer_id: str, days: int, interaction_id: str) -> InteractionLogged:
    return InteractionLogged(interaction_id=interaction_id, customer_id=customer_id,
                             channel="call", outcome="info",
                             occurred_at=NOW + timedelta(days=days))


async def test_the_lapse_job_counts_contacts_and_says_why(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_interaction(repo, called("caller", 0, "i-1"))  # calls, never buys
    await handlers.on_interaction(repo, called("caller", 150, "i-2"))
    await handlers.on_interaction(repo, called("caller", 150, "i-2"))  # redelivered
    await handlers.on_interaction(repo, called("quiet", 0, "i-3"))  # called once, then gone

    assert await run_lapse(repo, rules, days=180) == []  # default interval 90 x 2
    lapsed = await run_lapse(repo, rules, days=181)
    again = await run_lapse(repo, rules, days=190)

    by_customer = {e.customer_id: e for e in lapsed if isinstance(e, CustomerLapsed)}
    assert {c: (e.reason, e.never_bought) for c, e in by_customer.items()} == {
        "caller": ("no_purchase", True), "quiet": ("no_contact", True)}
    assert by_customer["caller"].last_purchase_at == NOW  # a never-buyer: the first contact
    assert by_customer["caller"].last_contact_at == NOW + timedelta(days=150)
    assert again == []


async def test_profitability_by_category_sums_to_total_revenue(rules: EarningRules) -> None:
    repo = new_repo()
    spend = {"a": ("vip", "1000.10"), "b": ("vip", "333.33"), "c": ("ordinary", "250"),
             "d": ("employee", "99.99"), "e": ("ordinary", "0.01")}
    for customer_id, (category, amount) in spend.items():
        await handlers.on_registered(repo, rules, registered(customer_id, category=category),
                                     NOW)
        await handlers.on_purchase(repo, rules, bought(customer_id, amount), NOW)
    await handlers.on_purchase(repo, rules, bought("b", "-33.33"), NOW)
    await jobs.fold_pending(repo)

    report = await reports.profitability_report(repo, "category")

    total = sum(Decimal(a) for _, a in spend.values()) - Decimal("33.33")
    assert Decimal(report["total_revenue"]) == total
    assert sum(Decimal(g["revenue"]) for g in report["groups"]) == total
    assert sum(Decimal(g["share"]) for g in report["groups"]) == 1
    assert [g["group"] for g in report["groups"]] == ["vip", "ordinary", "employee"]


async def test_the_referral_report_ranks_referrers_by_the_business_they_brought(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    for name in ("anna", "boris"):
        await handlers.on_registered(repo, rules, registered(name), NOW)
    for friend, referrer, amount in (("x", "anna", "100"), ("y", "boris", "700"),
                                     ("z", "anna", "50")):
        await handlers.on_registered(repo, rules, registered(friend, referred_by=referrer),
                                     NOW)
        await handlers.on_purchase(repo, rules, bought(friend, amount), NOW)

    report = await reports.referrals_report(repo, limit=10)

    assert [(r["referrer_id"], r["revenue"], r["credited"]) for r in report["top"]] == [
        ("boris", "700", 1), ("anna", "150", 2)]
