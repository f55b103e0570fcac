"""The tier job at production scale: it streams the accounts, keeps exact thresholds, stores
percentiles of a bounded size, moves customers a chunk per transaction, and a replica's copy
of the thresholds does not outlive another replica's run by more than a few seconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import bson
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from services.loyalty import handlers, jobs, repository
from services.loyalty.app import create_app
from services.loyalty.domain import Account, EarningRules, tier_for, trailing_12m_value
from services.loyalty.domain.tiers import (
    PERCENTILE_CUTS,
    Percentiles,
    TierStanding,
    ValueRanking,
    value_percentile,
)
from services.loyalty.repository import TIERS_ID, LoyaltyRepository, TierState, tiers_document
from services.loyalty.settings import LoyaltySettings
from shared.contracts import TierChanged
from shared.database import memory
from tests.unit.loyalty.wiring import NOW, bought, new_repo, run_tier_job

ADMIN = "d" * 32


def by_sorting(values: list[Decimal], gold_percent: int, silver_percent: int
               ) -> tuple[Decimal | None, Decimal | None]:
    """The thresholds as the rules read, from the whole population sorted."""
    ranked = sorted((v for v in values if v > 0), reverse=True)
    gold_k = -(-gold_percent * len(ranked) // 100)
    silver_k = min(-(-(gold_percent + silver_percent) * len(ranked) // 100), len(ranked))
    gold = ranked[gold_k - 1] if gold_k else None
    silver = ranked[silver_k - 1] if silver_k > gold_k else None
    return gold, None if silver == gold else silver


def exact_share(value: Decimal, values: list[Decimal]) -> float:
    population = [v for v in values if v > 0]
    if value <= 0 or not population:
        return 0.0
    return 100 * sum(1 for v in population if v <= value) / len(population)


money = st.one_of(
    st.decimals(min_value=-100, max_value=5000, places=2, allow_nan=False),
    st.sampled_from([Decimal("100"), Decimal("100.00"), Decimal("1E+2"), Decimal("0.00001"),
                     Decimal("123456789012345678.5"), Decimal("99.99999")]),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(money, max_size=60), gold_percent=st.sampled_from([10, 20, 35]),
       silver_percent=st.sampled_from([0, 20, 30]))
def test_the_compact_ranking_finds_the_thresholds_sorting_finds(
    values: list[Decimal], gold_percent: int, silver_percent: int
) -> None:
    thresholds = ValueRanking(values).thresholds(gold_percent, silver_percent)
    gold, silver = by_sorting(values, gold_percent, silver_percent)
    assert (thresholds.gold_min, thresholds.silver_min) == (gold, silver)
    assert thresholds.population == sum(1 for v in values if v > 0)


def test_a_threshold_reads_as_the_value_was_written() -> None:
    thresholds = ValueRanking([Decimal("9000.50"), Decimal("10")]).thresholds(20, 20)
    assert str(thresholds.gold_min) == "9000.50"


def test_a_percentile_is_at_most_a_tenth_of_a_point_under_the_exact_share() -> None:
    rng = random.Random(7)
    values = [Decimal(rng.choice([rng.randint(1, 500), rng.randint(1, 50_000) / 100]))
              .quantize(Decimal("0.01")) for _ in range(20_000)]
    percentiles = Percentiles.of(values)
    for value in [*rng.sample(values, 500), Decimal("0.5"), Decimal("123.455")]:
        exact = exact_share(value, values)
        assert exact - 100 / PERCENTILE_CUTS - 1e-9 <= value_percentile(value, percentiles)
        assert value_percentile(value, percentiles) <= exact + 1e-9


def test_gold_is_exactly_the_percentiles_above_one_hundred_minus_n_in_a_large_population(
) -> None:
    rng = random.Random(3)
    values = [Decimal(rng.randint(1, 3000)) for _ in range(30_000)]  # many ties
    thresholds, percentiles = ValueRanking(values).rank(20, 20)
    for value in sorted(set(values)):
        is_gold = tier_for(value, thresholds) == "gold"
        assert is_gold == (value_percentile(value, percentiles) > 80)


def test_the_stored_tiers_stay_small_whatever_the_population() -> None:
    rng = random.Random(1)
    values = [Decimal(rng.randint(1, 10**12)) / 10_000 for _ in range(200_000)]
    thresholds, percentiles = ValueRanking(values).rank(20, 20)

    document = tiers_document(TierState(thresholds, percentiles, NOW))

    assert len(bson.encode(document)) < 64 * 1024
    assert len(percentiles.values) <= PERCENTILE_CUTS + 2


async def test_a_tiers_document_with_every_value_is_read_as_percentiles() -> None:
    repo = new_repo()
    values = [Decimal(v) for v in range(1, 11)]
    await repo.meta.insert_one({
        "_id": TIERS_ID, "gold_min": "9", "silver_min": "7", "population": 10,
        "gold_percent": 20, "silver_percent": 20, "sorted_values": [str(v) for v in values],
        "computed_at": NOW})

    state = await repo.tiers()

    assert (state.thresholds.gold_min, state.thresholds.silver_min) == (9, 7)
    assert value_percentile(Decimal(8), state.percentiles) == 80.0
    assert state.computed_at == NOW


async def test_the_stored_percentiles_read_back_as_computed() -> None:
    repo = new_repo()
    thresholds, percentiles = ValueRanking(Decimal(v) for v in range(1, 5000)).rank(20, 20)
    async with repo.db.transaction():
        await repo.save_tiers(TierState(thresholds, percentiles, NOW))

    state = await repo.tiers()

    assert (state.thresholds, state.percentiles) == (thresholds, percentiles)


def test_a_standing_counts_the_trailing_twelve_months_as_the_account_does() -> None:
    months = {"2026-06": Decimal("10.50"), "2025-07": Decimal(5), "2025-06": Decimal(1000)}
    account = Account(customer_id="c-1", value_by_month=months)

    standing = TierStanding.of("c-1", months, NOW)

    assert standing.value_12m == trailing_12m_value(account, NOW) == Decimal("15.50")


async def ten_customers(repo: LoyaltyRepository, rules: EarningRules) -> None:
    for n in range(1, 11):
        await handlers.on_purchase(repo, rules, bought(f"c-{n:02d}", f"{n * 1000}"), NOW)


async def test_the_plan_builds_no_account(rules: EarningRules, monkeypatch: Any) -> None:
    repo = new_repo()
    await ten_customers(repo, rules)

    def refused(document: Any) -> Account:
        raise AssertionError("the tier plan built an Account")

    monkeypatch.setattr(repository, "account_from", refused)
    plan = await jobs.plan_tiers(repo, rules, NOW)

    assert sorted(plan.customers) == ["c-07", "c-08", "c-09", "c-10"]


async def test_moves_in_chunks_are_the_moves_of_one_transaction(rules: EarningRules) -> None:
    whole, chunked = new_repo(), new_repo()
    await ten_customers(whole, rules)
    await ten_customers(chunked, rules)

    in_one = await run_tier_job(whole, rules)
    in_chunks = await run_tier_job(chunked, rules, chunk=3)

    assert [e.event_id for e in in_chunks] == [e.event_id for e in in_one]
    assert len(in_chunks) == 4


async def test_the_service_moves_each_chunk_in_its_own_transaction_with_its_events(
    rules: EarningRules, monkeypatch: Any,
) -> None:
    app = create_app(LoyaltySettings(operator_token="o" * 32, analyst_token="a" * 32,
                                     admin_token=ADMIN))
    runtime = app.state.runtime
    now = datetime.now(UTC)
    seeded = LoyaltyRepository(runtime.db, rules.gold_percent, rules.silver_percent)
    for n in range(1, 11):
        await handlers.on_purchase(seeded, rules, bought(f"c-{n:02d}", f"{n * 1000}", at=now),
                                   now)
    chunks = jobs.tier_chunks
    monkeypatch.setattr(jobs, "tier_chunks", lambda plan: chunks(plan, 3))
    published: list[tuple[object, int]] = []
    publish = runtime.publish

    async def spied(events: list[Any]) -> None:
        published.append((memory._current.get(), len(events)))
        await publish(events)

    monkeypatch.setattr(runtime, "publish", spied)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ran = await client.post("/api/loyalty/jobs/tiers/run",
                                headers={"Authorization": f"Bearer {ADMIN}"})

    assert ran.json()["tier_changes"] == 4
    assert [count for _, count in published] == [3, 1]
    assert None not in {tx for tx, _ in published}
    assert len({id(tx) for tx, _ in published}) == 2


async def test_a_purchase_between_chunks_is_not_overwritten(rules: EarningRules) -> None:
    repo = new_repo()
    await ten_customers(repo, rules)
    plan = await jobs.plan_tiers(repo, rules, NOW)
    first, second = list(jobs.tier_chunks(plan, 2))
    async with repo.db.transaction():
        await repo.save_tiers(plan.state)
    async with repo.db.transaction():
        await jobs.apply_tiers(repo, plan.state, first, NOW)

    late = second[0]
    on_purchase = await handlers.on_purchase(repo, rules, bought(late, "50000"), NOW)
    async with repo.db.transaction():
        events = await jobs.apply_tiers(repo, plan.state, second, NOW)

    moved = [e for e in on_purchase if isinstance(e, TierChanged)]
    assert [(e.customer_id, e.new_tier) for e in moved] == [(late, "gold")]
    assert late not in {e.customer_id for e in events if isinstance(e, TierChanged)}
    account = await repo.account(late)
    assert account is not None and account.tier == "gold"


async def test_a_run_cut_short_is_completed_by_the_next_without_a_second_event(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await ten_customers(repo, rules)
    plan = await jobs.plan_tiers(repo, rules, NOW)
    first = next(jobs.tier_chunks(plan, 2))
    async with repo.db.transaction():
        await repo.save_tiers(plan.state)
        cut_short = await jobs.apply_tiers(repo, plan.state, first, NOW)

    rerun = await run_tier_job(repo, rules)

    reference = new_repo()
    await ten_customers(reference, rules)
    uninterrupted = await run_tier_job(reference, rules)
    assert {e.event_id for e in cut_short} | {e.event_id for e in rerun} == {
        e.event_id for e in uninterrupted}
    assert not {e.event_id for e in cut_short} & {e.event_id for e in rerun}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountedReads:
    """The meta collection, counting the reads that reach it."""

    def __init__(self, collection: Any) -> None:
        self.collection, self.reads = collection, 0

    def __getattr__(self, name: str) -> Any:
        if name in ("find_one", "find"):
            self.reads += 1
        return getattr(self.collection, name)


async def test_a_replica_reads_thresholds_another_replica_stored_within_seconds(
    rules: EarningRules,
) -> None:
    clock = Clock()
    ours = new_repo()
    theirs = LoyaltyRepository(ours.db, clock=clock)
    replica = LoyaltyRepository(ours.db, tiers_fresh_s=5, clock=clock)
    await ten_customers(ours, rules)
    assert (await replica.tiers()).thresholds.gold_min is None

    await run_tier_job(theirs, rules)
    clock.now = 4.9
    assert (await replica.tiers()).thresholds.gold_min is None
    clock.now = 5.0
    assert (await replica.tiers()).thresholds.gold_min == Decimal(9000)


async def test_purchases_do_not_read_the_thresholds_each(rules: EarningRules) -> None:
    clock = Clock()
    repo = LoyaltyRepository(new_repo().db, clock=clock)
    repo.meta = counted = CountedReads(repo.meta)  # type: ignore[assignment]

    for n in range(20):
        await handlers.on_purchase(repo, rules, bought(f"c-{n}", "100"), NOW)
        clock.now += 0.1

    assert counted.reads == 1
