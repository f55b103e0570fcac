"""Loyalty: points, value, tiers, referrals and lapse, wired to Kafka and HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict
from pymongo.errors import DuplicateKeyError

from services.loyalty import handlers, jobs, privacy, queries, redemptions
from services.loyalty.business import LoyaltyMetrics
from services.loyalty.domain import EarningRules, GroupBy, load_rules
from services.loyalty.repository import LoyaltyRepository
from services.loyalty.settings import LoyaltySettings
from shared import exports
from shared.audit import AuditTrail
from shared.auth import Admin, Analyst, Operator, PersonalReads, Principal, Reader
from shared.clock import utc_now
from shared.contracts import (
    CustomerErased,
    CustomerRegistered,
    CustomerSegmented,
    CustomerThanked,
    CustomerUpdated,
    InteractionLogged,
    OperatorUpdated,
    PurchaseRecorded,
)
from shared.contracts.events import PointsExpired, PointsExpiring
from shared.contracts.types import LoyaltyCardNumber, Tier
from shared.currencies import for_people, minor_units
from shared.exports import Format, From, To, period_of, suffix
from shared.privacy import Erasures, forget_payment_card_numbers, install_privacy
from shared.service import ServiceRuntime, create_http_app

log = logging.getLogger(__name__)

Limit = Annotated[int, Query(ge=1, le=100_000)]


class TierFloor(BaseModel):
    """``PUT /api/loyalty/customers/{id}/tier-floor``: the lowest tier, or null to clear."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier | None


class CardLookup(BaseModel):
    """``POST /api/loyalty/cards/lookup``: a loyalty card number, kept out of the URL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    card_number: LoyaltyCardNumber


CARD_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No loyalty account with this card number"},
    422: {"description": "Not a loyalty card number (a payment card number is refused)"},
    429: {"description": "Too many reads of personal data by this person "
                         "(CRM_PERSONAL_READS_PER_MINUTE)"},
}


REDEMPTION_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "This redemption_id was already made with the same customer and "
                         "points: the same answer, nothing changed"},
    201: {"description": "Redeemed: the points and the balance after"},
    404: {"description": "No loyalty account for this customer"},
    409: {"description": "The balance is short (the message gives it), or this redemption_id "
                         "was made for another customer or number of points"},
    422: {"description": "Points not a whole number above zero, or a malformed id"},
}


def effective_rules(settings: LoyaltySettings) -> EarningRules:
    rules = load_rules(settings.rules_path)
    if settings.gold_percent is None:
        return rules
    return EarningRules.model_validate(rules.model_dump() | {"gold_percent": settings.gold_percent})


async def _logged(job: Callable[[], Awaitable[None]]) -> None:
    try:
        await job()
    except Exception:
        log.exception("start-up tier recompute failed; the periodic job retries")


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    settings = settings or LoyaltySettings()
    rules = effective_rules(settings)
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(LoyaltyMetrics(runtime.metrics.registry).observe)
    repo = LoyaltyRepository(runtime.db, rules.gold_percent, rules.silver_percent)
    audit = AuditTrail(runtime.db)

    def now() -> datetime:
        return utc_now()

    currency = rules.exchange.value_currency

    def money_of(report: dict[str, Any]) -> dict[str, Any]:
        """A report's money is in the value currency (decimal strings, exact), read by a
        person to its minor unit."""
        return {**report, "value_currency": currency, "minor_units": minor_units(currency)}

    def people(amount: str) -> str:
        """Money for a person to read: to the value currency's minor unit."""
        return str(for_people(Decimal(amount), currency))

    runtime.subscribe(CustomerRegistered,
                      lambda event: handlers.on_registered(repo, rules, event, now()))
    runtime.subscribe(CustomerUpdated,
                      lambda event: handlers.on_updated(repo, rules, event, now()))
    runtime.subscribe(CustomerSegmented, lambda event: handlers.on_segmented(repo, event))
    runtime.subscribe(InteractionLogged, lambda event: handlers.on_interaction(repo, event))
    runtime.subscribe(PurchaseRecorded,
                      lambda event: handlers.on_purchase(repo, rules, event, now()),
                      reads=lambda events: {  # read at once per unit on MongoDB
                          "accounts": [event.customer_id for event in events],
                          "purchases": [event.purchase_id for event in events]})

    runtime.subscribe(CustomerThanked,
                      lambda event: handlers.on_thanked(repo, event, now()))
    runtime.subscribe(OperatorUpdated, runtime.people.mirror)  # names, disabled people
    erasures = Erasures(runtime.db)
    runtime.subscribe(CustomerErased, lambda event: privacy.on_erased(repo, erasures, event))

    async def run_tiers(at: datetime) -> dict[str, Any]:
        started = time.perf_counter()
        plan = await jobs.plan_tiers(repo, rules, at)
        async with runtime.command():
            await repo.save_tiers(plan.state)
        changes = 0
        for customers in jobs.tier_chunks(plan):  # a transaction each, with its events
            async with runtime.command():
                events = await jobs.apply_tiers(repo, plan.state, customers, at)
                await runtime.publish(events)
            changes += len(events)
        thresholds = plan.state.thresholds
        log.info("tiers recomputed in %.1fs: population %d, %d tier changes",
                 time.perf_counter() - started, thresholds.population, changes)
        return {"job": "tiers", "now": at, "population": thresholds.population,
                "gold_threshold": queries.money(thresholds.gold_min),
                "silver_threshold": queries.money(thresholds.silver_min),
                "tier_changes": changes}

    async def run_lapse(at: datetime) -> dict[str, Any]:
        started = time.perf_counter()
        decisions = await jobs.plan_lapses(repo, rules, at)
        async with runtime.command():
            events = await jobs.apply_lapses(repo, rules, decisions, at)
            await runtime.publish(events)
        log.info("lapse check in %.1fs: %d customers lapsed", time.perf_counter() - started,
                 len(events))
        return {"job": "lapse", "now": at, "lapsed": len(events)}

    async def run_expiry(at: datetime) -> dict[str, Any]:
        started = time.perf_counter()
        customers = await jobs.plan_expiry(repo, rules, at)
        expired = notices = 0
        for chunk in jobs.expiry_chunks(customers):  # a transaction each, with its events
            async with runtime.command():
                events = await jobs.apply_expiries(repo, rules, chunk, at)
                await runtime.publish(events)
            expired += sum(isinstance(e, PointsExpired) for e in events)
            notices += sum(isinstance(e, PointsExpiring) for e in events)
        if customers:
            log.info("points expiry in %.1fs: %d balances expired, %d notices",
                     time.perf_counter() - started, expired, notices)
        return {"job": "expiry", "now": at, "expired": expired, "notices": notices}

    fold = asyncio.Lock()  # one fold at a time here; replicas' folds conflict and retry

    async def run_analytics(at: datetime) -> dict[str, Any]:
        """Fold what is pending into the reports' running totals (built from the ledger
        the first time)."""
        started = time.perf_counter()
        async with fold:
            built = False
            if await repo.analytics_state() is None:
                plan = await jobs.plan_initial_totals(repo, rules)
                async with runtime.command():
                    await jobs.apply_initial_totals(repo, plan)
                built = True
            folded = 0
            while True:
                async with runtime.command():
                    n = await jobs.fold_pending(repo)
                folded += n
                if n < jobs.FOLD_CHUNK:
                    break
        if built or folded > jobs.FOLD_CHUNK:
            log.info("analytics totals %s in %.1fs, %d pending folded",
                     "built" if built else "updated", time.perf_counter() - started, folded)
        return {"job": "analytics", "now": at, "built": built, "folded": folded}

    async def ensure_totals() -> None:
        """A report reads the totals with what is pending folded in."""
        await run_analytics(now())

    async def analytics_now() -> None:
        await run_analytics(now())

    async def tiers_now() -> None:
        await run_tiers(now())

    async def expiry_now() -> None:
        await run_expiry(now())

    async def lapse_now() -> None:
        await run_lapse(now())

    background: set[asyncio.Task[None]] = set()

    async def tiers_under_lease() -> None:
        """Replicas starting together recompute once (the periodic job's lease)."""
        await runtime.run_job("tier-thresholds", settings.tier_interval_s, tiers_now)

    async def tiers_on_start() -> None:
        """Recompute at start-up unless the stored thresholds are fresher than one interval.

        In the background: at 100,000 accounts the stand-in's scan takes tens of seconds,
        and the service is useful meanwhile with the thresholds it stored last.
        """
        await repo.create_indexes()
        await forget_payment_card_numbers(runtime.db, "cards", ["accounts"])
        state = await repo.tiers()
        if state.computed_at and now() - state.computed_at < timedelta(
                seconds=settings.tier_interval_s):
            return
        task = asyncio.create_task(_logged(tiers_under_lease))
        background.add(task)
        task.add_done_callback(background.discard)

    runtime.every("tier-thresholds", settings.tier_interval_s, tiers_now)
    runtime.every("lapse-check", settings.lapse_interval_s, lapse_now)
    runtime.every("points-expiry", settings.expiry_interval_s, expiry_now)
    runtime.every("analytics", settings.analytics_interval_s, analytics_now)
    app = create_http_app(runtime, "crm loyalty", "Points, value, tiers, referrals, lapse.",
                          on_start=tiers_on_start)

    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, audit, customer_id)

    install_privacy(app, "loyalty", erasures, holdings)

    reads = PersonalReads(settings.personal_reads_per_minute)

    async def card_answer(card_number: str, principal: Principal) -> Any:
        reads.check(principal)
        customer_id = await repo.card_owner(card_number)
        account = await repo.account(customer_id) if customer_id else None
        if account is None:
            raise HTTPException(404, "no loyalty account with this card number")
        view = queries.card_view(account, now(), personal=principal.sees_personal_data)
        view["redemptions"] = [redemptions.view(record)
                               for record in await repo.redemptions_of(account.customer_id)]
        return view

    @app.get("/api/loyalty/cards/{card_number}", tags=["loyalty"], responses=CARD_ANSWERS)
    async def card(card_number: Annotated[LoyaltyCardNumber, Path()], principal: Reader) -> Any:
        """Balance, tier and value by card number (``POST /api/loyalty/cards/lookup`` keeps
        the number out of the URL); analysts get it without the card number."""
        return await card_answer(card_number, principal)

    @app.post("/api/loyalty/cards/lookup", tags=["loyalty"], responses=CARD_ANSWERS)
    async def card_lookup(body: CardLookup, principal: Reader) -> Any:
        """The same answer as ``GET /api/loyalty/cards/{card_number}``, with the number in
        the body, where proxies and browser histories do not keep it."""
        return await card_answer(body.card_number, principal)

    @app.post("/api/loyalty/redemptions", tags=["loyalty"], status_code=201,
              responses=REDEMPTION_ANSWERS)
    async def redeem(body: redemptions.RedemptionRequest, principal: Operator,
                     response: Response) -> Any:
        """Spend points of a customer's balance: 201 with the balance after; the same
        ``redemption_id`` again answers 200 with the same body and changes nothing.
        Publishes ``crm.points.redeemed.v1`` and ``crm.loyalty.updated.v1`` (negative
        ``points_delta``)."""
        for attempt in (1, 2):  # a concurrent twin of this redemption_id may commit first
            try:
                async with runtime.command():
                    result, events, created = await redemptions.redeem(repo, body, now())
                    await runtime.publish(events)
                break
            except DuplicateKeyError:
                if attempt == 2:
                    raise
            except redemptions.RedemptionRefused as refused:
                raise HTTPException(refused.status, refused.detail) from None
        if created:
            log.info("redemption %s: %d points", body.redemption_id, body.points)
        else:
            response.status_code = 200
        return result

    @app.put("/api/loyalty/customers/{customer_id}/tier-floor", tags=["loyalty"])
    async def tier_floor(customer_id: str, body: TierFloor, principal: Admin) -> Any:
        """Set (or clear, with null) the lowest tier of a customer; kept in their history."""
        at = now()
        async with runtime.command():
            result = await handlers.set_tier_floor(repo, audit, customer_id, body.tier,
                                                   principal, at)
            if result is not None:
                await runtime.publish(result[1])
        if result is None:
            raise HTTPException(404, "no loyalty account for this customer")
        return queries.card_view(result[0], at, personal=True)

    @app.post("/api/loyalty/jobs/{job}/run", tags=["ops"])
    async def run_job(job: Literal["tiers", "lapse", "expiry", "analytics"], principal: Admin,
                      now_: Annotated[datetime | None, Query(alias="now")] = None) -> Any:
        """Run a periodic job at once; ``now`` (ISO 8601) replays the run the schedule was
        about to make: not in the future, at most one job interval back (else 422)."""
        interval = {"tiers": settings.tier_interval_s, "lapse": settings.lapse_interval_s,
                    "expiry": settings.expiry_interval_s,
                    "analytics": settings.analytics_interval_s}[job]
        try:
            at = jobs.as_of(now_, now(), timedelta(seconds=interval))
        except jobs.OutsideWindow as refused:
            raise HTTPException(422, str(refused)) from None
        run = {"tiers": run_tiers, "lapse": run_lapse, "expiry": run_expiry,
               "analytics": run_analytics}[job]
        result = await run(at)
        async with runtime.command():
            await audit.record("jobs", f"{job}_run", principal, now(),
                               job=job, as_of=at, result={k: v for k, v in result.items()
                                                          if k not in ("job", "now")})
        return result

    @app.get("/api/loyalty/customers/{customer_id}/history", tags=["loyalty"])
    async def customer_history(customer_id: str, principal: Analyst,
                               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
        """Who changed the customer's tier floor, and when (newest first)."""
        reads.check(principal)
        return {"customer_id": customer_id,
                "entries": await audit.entries(f"customer:{customer_id}", limit)}

    @app.get("/api/loyalty/jobs/history", tags=["ops"])
    async def jobs_history(principal: Admin,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
        """Who ran a job by hand, as of when, and what it did (newest first)."""
        return {"entries": await audit.entries("jobs", limit)}

    @app.get("/api/analytics/profitability", tags=["analytics"])
    async def profitability(by: GroupBy, principal: Analyst, start: From = None,
                            end: To = None, format: Format = "json") -> Any:
        """Revenue, customers, revenue per customer and share per group, for a period
        (days, UTC, both included; lifetime when open); CSV for a spreadsheet."""
        await ensure_totals()
        report = await queries.profitability_report(repo, by, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"profitability-by-{by}{suffix(start, end)}.csv",
                [by, f"revenue_{currency}", "customers", f"revenue_per_customer_{currency}",
                 "share_percent"],
                [[g["group"], people(g["revenue"]), g["customers"],
                  people(g["revenue_per_customer"]), f"{Decimal(g['share']) * 100:.2f}"]
                 for g in report["groups"]])
        return money_of(report)

    @app.get("/api/analytics/gold", tags=["analytics"])
    async def gold(principal: Analyst, format: Format = "json", limit: Annotated[int, Query(
            ge=0, le=100_000, description="Gold customers listed, best first; 0: only the "
                                          "thresholds, the distribution and the count")] = 1000,
                   ) -> Any:
        """The gold (and silver) thresholds, the value distribution, the gold customers."""
        report = await queries.gold_report(repo, now(), limit)
        if format == "csv":
            return exports.csv_response(
                "gold.csv", ["customer_id", f"value_12m_{currency}", "value_percentile",
                             "manual_tier_floor"],
                [[c["customer_id"], people(c["value_12m"]), c["value_percentile"],
                  c["manual_tier_floor"]] for c in report["customers"]])
        return money_of(report)

    @app.get("/api/analytics/lapsed", tags=["analytics"])
    async def lapsed(principal: Analyst, limit: Limit = 1000, start: From = None,
                     end: To = None, format: Format = "json") -> Any:
        """Lapsed customers (lapsed in the period when one is given) and per month."""
        report = await queries.lapsed_report(repo, rules, now(), limit, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"lapsed{suffix(start, end)}.csv",
                ["customer_id", "category", "lapsed_since", "last_purchase_at",
                 f"value_lifetime_{currency}"],
                [[c["customer_id"], c["category"], c["lapsed_since"], c["last_purchase_at"],
                  people(c["value_lifetime"])] for c in report["customers"]])
        return money_of(report)

    @app.get("/api/analytics/referrals", tags=["analytics"])
    async def referrals(principal: Analyst, limit: Limit = 100, start: From = None,
                        end: To = None, format: Format = "json") -> Any:
        """Referrers by the value their customers brought (in the months of a period)."""
        report = await queries.referrals_report(repo, limit, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"referrals{suffix(start, end)}.csv",
                ["referrer_id", "referred_customers", "buying_customers", "credited",
                 f"revenue_{currency}"],
                [[r["referrer_id"], r["referred_customers"], r["buying_customers"],
                  r["credited"], people(r["revenue"])] for r in report["top"]])
        return money_of(report)

    return app
