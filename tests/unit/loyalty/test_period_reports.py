"""Reports for a period: the running totals kept by day and group, folded once, built from
an existing ledger the first time, and equal to a recomputation from the purchases."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.loyalty import handlers, jobs
from services.loyalty.domain import EarningRules
from services.loyalty.domain.periods import BadPeriod, Period
from services.loyalty.handlers import reports
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import CustomerSegmented, CustomerUpdated
from shared.exports import csv_text
from tests.unit.loyalty.wiring import NOW, bought, new_repo, registered

DAY = timedelta(days=1)


async def report(repo: LoyaltyRepository, by: str = "category",
                 start: date | None = None, end: date | None = None) -> dict[str, dict]:
    async with repo.db.transaction():
        await jobs.fold_pending(repo)
    answer = await reports.profitability_report(repo, by, Period.of(start, end))  # type: ignore[arg-type]
    return {g["group"]: g for g in answer["groups"]}


async def test_a_period_counts_the_purchases_of_its_days_in_the_groups_of_then(
        rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("a", category="vip"), NOW)
    await handlers.on_registered(repo, rules, registered("b"), NOW)
    await handlers.on_purchase(repo, rules, bought("a", "1000", "p1", at=NOW - 40 * DAY), NOW)
    await handlers.on_purchase(repo, rules, bought("a", "500", "p2", at=NOW), NOW)
    await handlers.on_purchase(repo, rules, bought("b", "300", "p3", at=NOW), NOW)
    await handlers.on_purchase(repo, rules, bought("b", "-100", "p4", at=NOW, refund_of="p3"),
                               NOW)
    # a customer moving to another category later leaves what they bought where it was
    await handlers.on_updated(repo, rules, CustomerUpdated(
        customer_id="a", changed_fields=["category"], category="ordinary"), NOW)

    month = await report(repo, start=(NOW - 10 * DAY).date(), end=NOW.date())
    lifetime = await report(repo)

    assert {g: (Decimal(r["revenue"]), r["customers"]) for g, r in month.items()} == {
        "vip": (Decimal(500), 0), "ordinary": (Decimal(200), 2)}
    assert Decimal(lifetime["vip"]["revenue"]) == 1500
    assert Decimal(month["ordinary"]["revenue_per_customer"]) == 100
    before = await report(repo, end=(NOW - 41 * DAY).date())
    assert all(Decimal(g["revenue"]) == 0 for g in before.values())


async def test_a_redelivered_purchase_and_a_second_fold_count_nothing_again(
        rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("a"), NOW)
    purchase = bought("a", "250", "p1")
    await handlers.on_purchase(repo, rules, purchase, NOW)
    await handlers.on_purchase(repo, rules, purchase, NOW)
    first = await report(repo)
    second = await report(repo)
    assert Decimal(first["ordinary"]["revenue"]) == Decimal(second["ordinary"]["revenue"]) == 250
    assert await repo.count_pending() == 0


async def test_customers_follow_registrations_changes_and_placeholders(
        rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("early", "10"), NOW)  # before registering
    await handlers.on_registered(repo, rules, registered("early", category="vip"), NOW)
    await handlers.on_registered(repo, rules, registered("b"), NOW)
    await handlers.on_registered(repo, rules, registered("b"), NOW)  # redelivered
    await handlers.on_segmented(repo, CustomerSegmented(customer_id="b", segment="chatty"))
    by_category = await report(repo)
    by_segment = await report(repo, "segment")
    assert {g: r["customers"] for g, r in by_category.items()} == {"vip": 1, "ordinary": 1}
    assert {g: r["customers"] for g, r in by_segment.items()} == {"chatty": 1, "unknown": 1}


async def test_the_first_run_builds_the_totals_from_an_existing_ledger(
        rules: EarningRules) -> None:
    """Purchases recorded before the reports kept totals (no pending notes), and a few
    noted twice (in the ledger and pending): each counts once."""
    repo = new_repo()
    rng = random.Random(7)
    expected: dict[str, Decimal] = {}
    for n in range(30):
        customer_id, category = f"c{n}", rng.choice(["vip", "ordinary", "employee"])
        await handlers.on_registered(repo, rules, registered(customer_id, category=category),
                                     NOW)
        for k in range(3):
            amount = Decimal(rng.randrange(100, 99_999)) / 100
            at = NOW - rng.randrange(0, 400) * DAY
            await handlers.on_purchase(repo, rules, bought(customer_id, str(amount),
                                                           f"p{n}-{k}", at=at), NOW)
            expected[category] = expected.get(category, Decimal(0)) + amount
    kept = {row["_id"] for row in await repo.pending(limit=5) if row["_id"].startswith("p:")}
    await repo.forget_pending([row["_id"] for row in await repo.pending(limit=10_000)
                               if row["_id"] not in kept])  # as if the version before

    built = await jobs.plan_initial_totals(repo, rules)
    async with repo.db.transaction():
        await jobs.apply_initial_totals(repo, built)
    totals = await report(repo)
    assert {g: Decimal(r["revenue"]) for g, r in totals.items()} == expected
    assert sum(r["customers"] for r in totals.values()) == 30
    assert await repo.count_pending() == 0


def test_a_period_is_refused_backwards_or_too_long() -> None:
    with pytest.raises(BadPeriod, match="before"):
        Period.of(date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(BadPeriod, match="at most"):
        Period.of(date(2000, 1, 1), date(2026, 1, 1))
    assert Period.of(date(2026, 5, 1), None).holds("2027-01-01")


def test_the_csv_opens_in_a_spreadsheet_and_runs_nothing() -> None:
    text = csv_text(["group", "revenue"], [["друг", "-5.00"], ["=HYPERLINK(1)", "10.00"],
                                            ["@SUM", None]])
    assert text.startswith("\ufeffgroup,revenue\r\n")
    assert "друг,-5.00\r\n" in text
    assert "'=HYPERLINK(1),10.00" in text and "'@SUM," in text
