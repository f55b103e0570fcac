"""The points-expiry job: a notice before, the expiry at the moment, each once."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.loyalty import handlers, jobs
from services.loyalty.domain import EarningRules
from services.loyalty.domain.rules import PointsExpiry
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import Event, LoyaltyUpdated
from shared.contracts.events import PointsExpired, PointsExpiring
from tests.unit.loyalty.wiring import NOW, bought, new_repo


def expiring(rules: EarningRules, after: int = 365, notice: int = 14) -> EarningRules:
    return rules.model_copy(update={"points_expiry": PointsExpiry(
        after_days=after, notice_days=notice)})


async def run(repo: LoyaltyRepository, rules: EarningRules, at: datetime) -> list[Event]:
    events: list[Event] = []
    for chunk in jobs.expiry_chunks(await jobs.plan_expiry(repo, rules, at), size=2):
        events += await jobs.apply_expiries(repo, rules, chunk, at)
    return events


async def test_a_notice_then_the_expiry_each_once(rules: EarningRules) -> None:
    rules, repo = expiring(rules), new_repo()
    for n in range(3):  # three customers, a chunk of two and one
        await handlers.on_purchase(repo, rules, bought(f"c-{n}", "5000"), NOW)
    assert await run(repo, rules, NOW + timedelta(days=300)) == []  # not yet due

    notices = await run(repo, rules, NOW + timedelta(days=352))
    assert sorted((e.customer_id, e.points) for e in notices if isinstance(e, PointsExpiring)) \
        == [("c-0", 50), ("c-1", 50), ("c-2", 50)]
    assert {e.expires_at for e in notices if isinstance(e, PointsExpiring)} == {
        NOW + timedelta(days=365)}
    assert await run(repo, rules, NOW + timedelta(days=353)) == []  # a rerun: no second notice

    expired = await run(repo, rules, NOW + timedelta(days=366))
    gone = [e for e in expired if isinstance(e, PointsExpired)]
    updates = [e for e in expired if isinstance(e, LoyaltyUpdated)]
    assert sorted((e.customer_id, e.points, e.points_balance) for e in gone) == [
        ("c-0", 50, 0), ("c-1", 50, 0), ("c-2", 50, 0)]
    assert {(u.points_delta, u.points_balance) for u in updates} == {(-50, 0)}
    account = await repo.account("c-0")
    assert account is not None and account.points_balance == 0
    assert await run(repo, rules, NOW + timedelta(days=367)) == []  # nothing expires twice


async def test_a_purchase_after_the_scan_restarts_the_clock_and_nothing_expires(
    rules: EarningRules,
) -> None:
    rules, repo = expiring(rules), new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "5000"), NOW)
    at = NOW + timedelta(days=366)
    planned = await jobs.plan_expiry(repo, rules, at)
    assert planned == ["c-1"]
    await handlers.on_purchase(repo, rules, bought("c-1", "1000", at=at), at)  # meanwhile
    assert await jobs.apply_expiries(repo, rules, planned, at) == []
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 60


async def test_expiry_off_reads_nothing(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "5000"), NOW)
    assert await jobs.plan_expiry(repo, rules, NOW + timedelta(days=9999)) == []


async def test_the_same_expiry_has_the_same_event_ids_whoever_runs_it(
    rules: EarningRules,
) -> None:
    rules = expiring(rules)
    ids = []
    for _ in range(2):  # two replicas, or a crash before the publish and a re-run
        repo = new_repo()
        await handlers.on_purchase(repo, rules, bought("c-1", "5000", purchase_id="p-1"), NOW)
        ids.append([e.event_id for e in await run(repo, rules, NOW + timedelta(days=366))])
    assert ids[0] == ids[1] and len(ids[0]) == 2
