"""The periodic jobs: tier thresholds over the whole population, and lapse detection.

Each job has a read phase (a scan, outside any transaction, so consumers keep running) and
an apply phase the caller runs inside one transaction: it re-reads every account it changes,
so a purchase applied in between is never overwritten with a stale copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.loyalty.domain import (
    EarningRules,
    LapseDecision,
    lapse_check,
    mark_lapsed,
    reassess_tier,
    recompute_tiers,
)
from services.loyalty.handlers import tier_changed
from services.loyalty.repository import LoyaltyRepository, TierState
from shared.contracts import CustomerLapsed, Event

LAPSE_FIELDS = ("purchase_count", "first_purchase_at", "last_purchase_at", "lapsed")
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


@dataclass(frozen=True)
class TierPlan:
    state: TierState
    customers: list[str]  # whose tier moves under the new thresholds


async def plan_tiers(repo: LoyaltyRepository, rules: EarningRules, now: datetime) -> TierPlan:
    """New thresholds from every account's trailing-12-month value, and who moves."""
    fields = ("value_by_month", "tier", "manual_tier_floor")
    accounts = [account async for account in repo.all_accounts(fields=fields)]
    result = recompute_tiers(accounts, rules, now)
    state = TierState(result.thresholds, result.sorted_values, now)
    return TierPlan(state, [change.customer_id for change in result.changes])


async def apply_tiers(repo: LoyaltyRepository, plan: TierPlan, now: datetime) -> list[Event]:
    """Store the thresholds and move every planned customer; one tier-changed per move."""
    await repo.save_tiers(plan.state)
    events: list[Event] = []
    for customer_id in plan.customers:
        account = await repo.account(customer_id)
        if account is None:
            continue
        account, change = reassess_tier(
            account, plan.state.thresholds, plan.state.sorted_values, now)
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
