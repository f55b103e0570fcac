"""Loyalty's answers to analysts name customers by ``customer_id`` only: no card numbers in
the gold and lapsed reports, nor in an analyst's card look-up."""

from __future__ import annotations

from datetime import timedelta

from services.loyalty import handlers, jobs
from services.loyalty.domain import EarningRules
from services.loyalty.handlers import reports
from services.loyalty.repository import LoyaltyRepository
from tests.unit.loyalty.wiring import NOW, bought, new_repo, registered, run_tier_job


async def carded_customers(repo: LoyaltyRepository, rules: EarningRules) -> None:
    for n in range(1, 6):
        await handlers.on_registered(repo, rules, registered(f"c-{n}", card_number=f"L-{n}00"),
                                     NOW)
        await handlers.on_purchase(repo, rules, bought(f"c-{n}", f"{n * 1000}"), NOW)
    await run_tier_job(repo, rules)


async def test_the_gold_report_names_gold_customers_by_id_only(rules: EarningRules) -> None:
    repo = new_repo()
    await carded_customers(repo, rules)

    report = await reports.gold_report(repo, NOW, limit=100)

    assert [row["customer_id"] for row in report["customers"]] == ["c-5"]
    assert "card_number" not in report["customers"][0]
    assert "L-500" not in str(report)


async def test_the_lapsed_report_names_lapsed_customers_by_id_only(rules: EarningRules) -> None:
    repo = new_repo()
    await carded_customers(repo, rules)
    later = NOW + timedelta(days=400)
    await jobs.apply_lapses(repo, rules, await jobs.plan_lapses(repo, rules, later), later)

    report = await reports.lapsed_report(repo, rules, later, limit=100)

    assert report["count"] == 5
    assert all(set(row) >= {"customer_id", "value_lifetime"} for row in report["customers"])
    assert not any("card_number" in row for row in report["customers"])
    assert "L-" not in str(report)


async def test_a_card_shows_its_number_only_to_those_who_see_personal_data(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await carded_customers(repo, rules)
    account = await repo.account("c-3")
    assert account is not None

    full = reports.card_view(account, NOW, personal=True)
    projected = reports.card_view(account, NOW, personal=False)

    assert full["card_number"] == "L-300"
    assert "card_number" not in projected
    assert projected == {key: value for key, value in full.items() if key != "card_number"}
