"""The periodic jobs: tier thresholds over the whole population, lapse detection, and
points expiry.

Each job has a read phase (a scan, outside any transaction, so consumers keep running) and
an apply phase the caller runs inside transactions: it re-reads every account it changes,
so a purchase applied in between is never overwritten with a stale copy.

The tier job streams: its plan reads the accounts twice (their values, then who moves under
the new thresholds), holding 8 bytes per customer (``ValueRanking``) and the ids of those
who move, never an account. Its apply phase stores the thresholds, then moves customers a chunk
(``TIER_CHUNK``) per transaction: the new thresholds hold from the first commit, purchases
in between are judged by them, and a run cut short is completed by the next one, which
finds the customers not yet moved (event ids derive from the customer and the run's moment,
so a re-run publishes nothing twice).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from services.loyalty.domain import (
    EarningRules,
    LapseDecision,
    lapse_check,
    mark_lapsed,
    reassess_tier,
)
from services.loyalty.domain.expiry import apply_expiry, expiry_check
from services.loyalty.domain.periods import (
    GROUP_BY,
    DayTotals,
    SizeChanges,
    day_of,
    group_values,
)
from services.loyalty.domain.rules import to_value_currency
from services.loyalty.domain.tiers import ValueRanking
from services.loyalty.handlers import loyalty_updated, tier_changed
from services.loyalty.handlers.reports import money
from services.loyalty.repository import LoyaltyRepository, TierState, groups_of
from services.loyalty.settings import LoyaltySettings
from shared.clock import as_utc, utc_now
from shared.contracts import CustomerLapsed, Event
from shared.contracts.events import PointsExpired, PointsExpiring
from shared.privacy import forget_payment_card_numbers
from shared.service import ServiceRuntime

log = logging.getLogger(__name__)

LAPSE_FIELDS = ("purchase_count", "first_purchase_at", "last_purchase_at", "lapsed",
                "first_contact_at", "last_contact_at")
#: How far a job's ``now`` may differ from this server's clock beyond its window: the
#: clocks of the admin's machine and the server's.
CLOCK_SKEW = timedelta(minutes=5)


class OutsideWindow(ValueError):
    """A job was asked to run as of a moment it may not (422); the message says why."""


def as_of(requested: datetime | None, now: datetime, interval: timedelta) -> datetime:
    """The moment a job run by hand runs as of: ``requested`` (UTC when naive), or now.

    Never ahead of the clock: a future moment would lapse every customer at once (and each
    gets a win-back SMS) or drop this month's value from the tiers. Never further back than
    one scheduled interval: the job runs on schedule at the real time, so an older moment
    only publishes tier moves that the next run takes back; within the interval it replays
    the run the schedule was about to make.
    """
    if requested is None:
        return now
    at = requested.replace(tzinfo=UTC) if requested.tzinfo is None else requested.astimezone(UTC)
    if at > now + CLOCK_SKEW:
        raise OutsideWindow(f"now may not be in the future (more than {_minutes(CLOCK_SKEW)} "
                            "ahead of the server's clock)")
    earliest = now - interval - CLOCK_SKEW
    if at < earliest:
        raise OutsideWindow(f"now may go back at most one run of the job "
                            f"({_minutes(interval + CLOCK_SKEW)}), to {earliest.isoformat()}")
    return at


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:g} minutes"


#: Tier moves per transaction: each is a re-read, a write and an event, and MongoDB bounds
#: a transaction's size and time (and the stand-in's holds back every consumer meanwhile).
TIER_CHUNK = 500


@dataclass(frozen=True)
class TierPlan:
    state: TierState
    customers: list[str]  # whose tier moves under the new thresholds


async def plan_tiers(repo: LoyaltyRepository, rules: EarningRules, now: datetime) -> TierPlan:
    """New thresholds from every account's trailing-12-month value, and who moves."""
    ranking = ValueRanking()
    async for standing in repo.tier_standings(now):
        ranking.add(standing.value_12m)
    thresholds, percentiles = ranking.rank(rules.gold_percent, rules.silver_percent)
    del ranking  # the second scan holds nothing per customer but the ids that move
    moving = [standing.customer_id async for standing in repo.tier_standings(now)
              if standing.moves(thresholds)]
    return TierPlan(TierState(thresholds, percentiles, now), moving)


def tier_chunks(plan: TierPlan, size: int = TIER_CHUNK) -> Iterator[list[str]]:
    """The planned moves, ``size`` customers at a time: each chunk its own transaction."""
    for start in range(0, len(plan.customers), size):
        yield plan.customers[start:start + size]


async def apply_tiers(
    repo: LoyaltyRepository, state: TierState, customers: Sequence[str], now: datetime
) -> list[Event]:
    """Move these planned customers (a chunk, after ``repo.save_tiers(state)``); one
    tier-changed per move, none for a customer whose tier a purchase already set."""
    events: list[Event] = []
    for customer_id in customers:
        account = await repo.account(customer_id)
        if account is None:
            continue
        account, change = reassess_tier(account, state.thresholds, state.percentiles, now)
        if change is None:
            continue
        await repo.set_tier(customer_id, change.new_tier)
        source = f"tiers:{customer_id}:{now.isoformat()}"
        events.append(tier_changed(change, Event.derived_id(source, change.new_tier)))
    return events


async def plan_lapses(
    repo: LoyaltyRepository, rules: EarningRules, now: datetime
) -> list[LapseDecision]:
    """Customers who have just lapsed (an account already flagged is not listed again)."""
    return [
        decision
        async for account in repo.all_accounts({"lapsed": False}, LAPSE_FIELDS)
        if (decision := lapse_check(account, rules, now)) is not None
    ]


async def apply_lapses(
    repo: LoyaltyRepository, rules: EarningRules, decisions: list[LapseDecision], now: datetime
) -> list[Event]:
    """Flag each lapsed account and announce it once per lapse.

    The event id comes from the customer and the last purchase the lapse is measured from,
    so a re-run, a crash between flag and publish, or a second instance never duplicates it.
    """
    events: list[Event] = []
    for planned in decisions:
        account = await repo.account(planned.customer_id)
        decision = None if account is None else lapse_check(account, rules, now)
        if account is None or decision is None:
            continue  # bought again, or flagged, since the scan
        await repo.save(mark_lapsed(account, now), account)
        source = f"lapse:{decision.customer_id}:{decision.last_purchase_at.isoformat()}"
        events.append(CustomerLapsed(
            event_id=Event.derived_id(source, "lapsed"), **decision.model_dump()))
    return events


#: Expiries and notices per transaction (each a re-read, a write and one or two events).
EXPIRY_CHUNK = 500
EXPIRY_FIELDS = ("points_balance", "last_earned_at", "expiry_notice_for")


async def plan_expiry(repo: LoyaltyRepository, rules: EarningRules, now: datetime) -> list[str]:
    """The customers whose points expire now or are due a notice (``domain.expiry``).

    Only accounts whose last earning is older than ``after_days - notice_days`` can be due,
    so the scan reads those alone (an index on ``last_earned_at``); nothing when expiry is off.
    """
    rule = rules.points_expiry
    if rule.after_days <= 0:
        return []
    due_from = now - timedelta(days=rule.after_days - max(rule.notice_days, 0))
    query = {"points_balance": {"$gt": 0}, "last_earned_at": {"$lte": due_from}}
    return [account.customer_id async for account in repo.all_accounts(query, EXPIRY_FIELDS)
            if expiry_check(account, rules, now) is not None]


def expiry_chunks(customers: list[str], size: int = EXPIRY_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(customers), size):
        yield customers[start:start + size]


async def apply_expiries(repo: LoyaltyRepository, rules: EarningRules, customers: Sequence[str],
                         now: datetime) -> list[Event]:
    """Expire or give notice, as each account stands now (re-read in this transaction: a
    purchase since the scan restarted its clock, a redemption lowered what expires).

    Event ids come from the customer and the expiry moment, so a re-run, a second replica
    or a crash between write and publish never repeats one; an expired balance is 0 and a
    notice is remembered (``expiry_notice_for``), so nothing is due twice either.
    """
    events: list[Event] = []
    for customer_id in customers:
        account = await repo.account(customer_id)
        decision = None if account is None else expiry_check(account, rules, now)
        if account is None or decision is None:
            continue
        after = apply_expiry(account, decision)
        await repo.save(after, account)
        source = f"points-expiry:{customer_id}:{decision.expires_at.isoformat()}"
        if decision.kind == "notice":
            events.append(PointsExpiring(
                event_id=Event.derived_id(source, "expiring"), customer_id=customer_id,
                points=decision.points, expires_at=decision.expires_at))
            continue
        events.append(PointsExpired(
            event_id=Event.derived_id(source, "expired"), customer_id=customer_id,
            points=decision.points, points_balance=after.points_balance,
            expired_at=decision.expires_at))
        events.append(loyalty_updated(Event.derived_id(source, "loyalty-updated"), after,
                                      -decision.points, now))
    return events


# the reports' running totals ---------------------------------------------------------------
#: Pending purchases and membership changes folded per transaction.
FOLD_CHUNK = 1000


@dataclass
class InitialTotals:
    """The running totals built from the ledger and the accounts, the first time."""

    days: DayTotals
    sizes: dict[str, int]
    purchase_ids: set[str]
    started: datetime


async def plan_initial_totals(repo: LoyaltyRepository, rules: EarningRules) -> InitialTotals:
    """Scan the ledger and the accounts once (outside any transaction) for the totals of
    what happened before the reports kept them.

    A purchase counts in the customer's groups now (the ledger did not keep them then). An
    erased customer's purchases left the ledger with them; their anonymised account keeps
    its value per month, counted on each month's first day.
    """
    started = utc_now()
    # Each customer's groups, one shared copy per combination (a few dozen), not a dict each.
    combinations: dict[tuple[str, ...], dict[str, str]] = {}
    groups: dict[str, dict[str, str]] = {}
    sizes: dict[str, int] = {}
    erased: list[tuple[str, dict[str, str], Decimal]] = []
    async for account in repo.all_accounts(fields=(*GROUP_BY, "value_by_month"),
                                           include_erased=True):
        found = groups_of(account)
        mine = combinations.setdefault(tuple(found.values()), found)
        groups[account.customer_id] = mine
        for by, group in mine.items():
            sizes[f"{by}|{group}"] = sizes.get(f"{by}|{group}", 0) + 1
        if account.customer_id.startswith("erased-"):
            erased += [(f"{month}-01", mine, value)
                       for month, value in account.value_by_month.items()]
    ledger = [row async for row in repo.all_purchases()]
    dates = {row["_id"]: row["occurred_at"] for row in ledger}
    purchases = [
        (day_of(row["occurred_at"]),
         groups.get(row["customer_id"]) or group_values({}),
         to_value_currency(Decimal(row["amount"]), row["currency"], rules,
                           dates.get(row.get("refund_of") or "", row["occurred_at"])))
        for row in ledger]
    return InitialTotals(DayTotals.of(purchases + erased), sizes, set(dates), started)


async def apply_initial_totals(repo: LoyaltyRepository, built: InitialTotals) -> None:
    """Store the built totals; what the scan took in leaves the pending list (a purchase by
    its id, a change to a customer's groups noted before the scan began)."""
    await repo.replace_totals(built.days, built.sizes)
    stale = [row["_id"] for row in await repo.pending(limit=0)
             if row["_id"][2:] in built.purchase_ids
             or (row["_id"].startswith("m:") and as_utc(row["at"]) < built.started)]
    await repo.forget_pending(stale)
    await repo.save_analytics_state({"built_at": built.started})


async def fold_pending(repo: LoyaltyRepository, limit: int = FOLD_CHUNK) -> int:
    """Fold up to ``limit`` pending purchases and group changes into the totals and forget
    them: run inside one transaction, so each counts exactly once."""
    rows = await repo.pending(limit)
    purchases = [(row["day"], row["groups"], Decimal(row["value"]))
                 for row in rows if row["_id"].startswith("p:")]
    changes = [(row["before"], row["after"]) for row in rows if row["_id"].startswith("m:")]
    await repo.add_to_days(DayTotals.of(purchases))
    await repo.add_to_sizes(SizeChanges.of(changes))
    await repo.forget_pending([row["_id"] for row in rows])
    return len(rows)


JobName = Literal["tiers", "lapse", "expiry", "analytics"]


class Jobs:
    """Loyalty's periodic jobs as the runtime runs them (``schedule``) and an admin does by
    hand (``POST /api/loyalty/jobs/{job}/run``): each step in a transaction of its own,
    with its events; each run answers what it did."""

    def __init__(self, runtime: ServiceRuntime, repo: LoyaltyRepository, rules: EarningRules,
                 settings: LoyaltySettings) -> None:
        self.runtime, self.repo, self.rules, self.settings = runtime, repo, rules, settings
        self.fold = asyncio.Lock()  # one fold at a time here; replicas' folds conflict and retry
        self.background: set[asyncio.Task[None]] = set()

    def interval_s(self, job: JobName) -> float:
        return {"tiers": self.settings.tier_interval_s,
                "lapse": self.settings.lapse_interval_s,
                "expiry": self.settings.expiry_interval_s,
                "analytics": self.settings.analytics_interval_s}[job]

    async def run(self, job: JobName, at: datetime) -> dict[str, Any]:
        return await {"tiers": self.tiers, "lapse": self.lapse, "expiry": self.expiry,
                      "analytics": self.analytics}[job](at)

    async def tiers(self, at: datetime) -> dict[str, Any]:
        runtime, repo = self.runtime, self.repo
        started = time.perf_counter()
        plan = await plan_tiers(repo, self.rules, at)
        async with runtime.command():
            await repo.save_tiers(plan.state)
        changes = 0
        for customers in tier_chunks(plan):  # a transaction each, with its events
            async with runtime.command():
                events = await apply_tiers(repo, plan.state, customers, at)
                await runtime.publish(events)
            changes += len(events)
        thresholds = plan.state.thresholds
        log.info("tiers recomputed in %.1fs: population %d, %d tier changes",
                 time.perf_counter() - started, thresholds.population, changes)
        return {"job": "tiers", "now": at, "population": thresholds.population,
                "gold_threshold": money(thresholds.gold_min),
                "silver_threshold": money(thresholds.silver_min),
                "tier_changes": changes}

    async def lapse(self, at: datetime) -> dict[str, Any]:
        started = time.perf_counter()
        decisions = await plan_lapses(self.repo, self.rules, at)
        async with self.runtime.command():
            events = await apply_lapses(self.repo, self.rules, decisions, at)
            await self.runtime.publish(events)
        log.info("lapse check in %.1fs: %d customers lapsed", time.perf_counter() - started,
                 len(events))
        return {"job": "lapse", "now": at, "lapsed": len(events)}

    async def expiry(self, at: datetime) -> dict[str, Any]:
        started = time.perf_counter()
        customers = await plan_expiry(self.repo, self.rules, at)
        expired = notices = 0
        for chunk in expiry_chunks(customers):  # a transaction each, with its events
            async with self.runtime.command():
                events = await apply_expiries(self.repo, self.rules, chunk, at)
                await self.runtime.publish(events)
            expired += sum(isinstance(e, PointsExpired) for e in events)
            notices += sum(isinstance(e, PointsExpiring) for e in events)
        if customers:
            log.info("points expiry in %.1fs: %d balances expired, %d notices",
                     time.perf_counter() - started, expired, notices)
        return {"job": "expiry", "now": at, "expired": expired, "notices": notices}

    async def analytics(self, at: datetime) -> dict[str, Any]:
        """Fold what is pending into the reports' running totals (built from the ledger
        the first time)."""
        runtime, repo = self.runtime, self.repo
        started = time.perf_counter()
        async with self.fold:
            built = False
            if await repo.analytics_state() is None:
                plan = await plan_initial_totals(repo, self.rules)
                async with runtime.command():
                    await apply_initial_totals(repo, plan)
                built = True
            folded = 0
            while True:
                async with runtime.command():
                    n = await fold_pending(repo)
                folded += n
                if n < FOLD_CHUNK:
                    break
        if built or folded > FOLD_CHUNK:
            log.info("analytics totals %s in %.1fs, %d pending folded",
                     "built" if built else "updated", time.perf_counter() - started, folded)
        return {"job": "analytics", "now": at, "built": built, "folded": folded}

    def as_of_now(self, job: JobName) -> Callable[[], Awaitable[None]]:
        """The job run as of the clock's now (the schedule's runs)."""
        async def run_now() -> None:
            await self.run(job, utc_now())
        return run_now

    async def on_start(self) -> None:
        """Recompute the tiers at start-up unless the stored thresholds are fresher than one
        interval.

        In the background: at 100,000 accounts the stand-in's scan takes tens of seconds,
        and the service is useful meanwhile with the thresholds it stored last.
        """
        await self.repo.create_indexes()
        await forget_payment_card_numbers(self.runtime.db, "cards", ["accounts"])
        state = await self.repo.tiers()
        if state.computed_at and utc_now() - state.computed_at < timedelta(
                seconds=self.settings.tier_interval_s):
            return
        task = asyncio.create_task(_logged(self._tiers_under_lease))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _tiers_under_lease(self) -> None:
        """Replicas starting together recompute once (the periodic job's lease)."""
        await self.runtime.run_job("tier-thresholds", self.settings.tier_interval_s,
                                   self.as_of_now("tiers"))


async def _logged(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception:
        log.exception("start-up tier recompute failed; the periodic job retries")


def schedule(runtime: ServiceRuntime, repo: LoyaltyRepository, rules: EarningRules,
             settings: LoyaltySettings) -> Jobs:
    """Run loyalty's jobs on the runtime's schedule (one replica at a time each)."""
    jobs = Jobs(runtime, repo, rules, settings)
    runtime.every("tier-thresholds", settings.tier_interval_s, jobs.as_of_now("tiers"))
    runtime.every("lapse-check", settings.lapse_interval_s, jobs.as_of_now("lapse"))
    runtime.every("points-expiry", settings.expiry_interval_s, jobs.as_of_now("expiry"))
    runtime.every("analytics", settings.analytics_interval_s, jobs.as_of_now("analytics"))
    return jobs
