"""The analyst's reports at 100,000 customers: how long each answer takes.

    python -m benchmarks.analytics [--accounts 100000] [--days 730] [--requests 20]

Builds loyalty's data directory in-process (the stand-in, journaled): the accounts as the
loyalty benchmark does, then two years of purchases folded into the reports' running
totals the way the first run builds them (timed: the scan of every account). Starts loyalty
and asks each report, for a quarter, a year and all time, ``--requests`` times, through HTTP
as the analyst view does; prints p50/p99 per report. Asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks import open_store, percentile, record, settle_load_generator
from benchmarks.loyalty import build_store
from services.loyalty import jobs
from services.loyalty.domain import load_rules
from services.loyalty.domain.periods import DayTotals
from services.loyalty.repository import LoyaltyRepository
from shared.runtime.harness import Suite

GROUPS = {"category": ("ordinary", "vip", "employee"), "source": ("friend", "google", "radio"),
          "segment": ("regular", "chatty", "bargain_hunter", "unknown"),
          "person_type": ("individual", "company")}
PURCHASES_PER_DAY = 400


async def build_totals(data_dir: Path, days: int, rng: random.Random) -> dict[str, float]:
    """The first run's totals over the accounts, and ``days`` of purchases folded in."""
    db = open_store("loyalty", data_dir / "loyalty", None)
    repo = LoyaltyRepository(db)
    started = time.perf_counter()  # again (build_store did it): timed here
    built = await jobs.plan_initial_totals(repo, load_rules())
    scanned = time.perf_counter() - started
    today = datetime.now(UTC).date()
    purchases = [
        ((today - timedelta(days=day)).isoformat(),
         {by: rng.choice(groups) for by, groups in GROUPS.items()},
         Decimal(rng.randint(100, 500_000)) / 100)
        for day in range(days) for _ in range(PURCHASES_PER_DAY)]
    built.days = DayTotals.of(purchases)
    started = time.perf_counter()
    async with db.transaction():
        await jobs.apply_initial_totals(repo, built)
    stored = time.perf_counter() - started
    await db.close()
    print(f"first run: scanned the accounts in {scanned:.1f}s; stored "
          f"{len(built.days.revenue):,} day totals in {stored:.1f}s")
    return {"first_run_scan_s": round(scanned, 2), "day_totals": len(built.days.revenue)}


def periods(today: date) -> dict[str, dict[str, str]]:
    quarter = today.replace(month=today.month - (today.month - 1) % 3, day=1)
    return {"quarter": {"from": quarter.isoformat(), "to": today.isoformat()},
            "year": {"from": (today - timedelta(days=365)).isoformat(),
                     "to": today.isoformat()},
            "lifetime": {}}


async def time_reports(suite: Suite, requests: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    today = datetime.now(UTC).date()
    async with suite.client("loyalty", role="analyst") as analyst:
        analyst.timeout = 120

        async def timed(name: str, path: str, params: dict[str, Any]) -> None:
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                answer = await analyst.get(path, params=params)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.text
            samples.sort()
            figures[name] = {"p50_ms": round(percentile(samples, 0.5), 1),
                             "p99_ms": round(percentile(samples, 0.99), 1)}
            print(f"  {name}: p50 {figures[name]['p50_ms']:,.1f} ms, "
                  f"p99 {figures[name]['p99_ms']:,.1f} ms", flush=True)

        for label, period in periods(today).items():
            for by in GROUPS:
                await timed(f"profitability by {by}, {label}", "/api/analytics/profitability",
                            {"by": by, **period})
        await timed("profitability CSV, year", "/api/analytics/profitability",
                    {"by": "category", "format": "csv", **periods(today)["year"]})
        await timed("gold, the figures", "/api/analytics/gold", {"limit": 0})
        await timed("gold, the top 100", "/api/analytics/gold", {"limit": 100})
        await timed("lapsed, year", "/api/analytics/lapsed",
                    {"limit": 10, **periods(today)["year"]})
        await timed("referrals, year", "/api/analytics/referrals",
                    {"limit": 10, **periods(today)["year"]})
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        workdir = Path(tmp)
        print(f"analytics: building {args.accounts:,} accounts and {args.days} days of "
              "totals...", flush=True)
        await build_store(workdir / "data", args.accounts, rng)
        built = await build_totals(workdir / "data", args.days, rng)
        settle_load_generator()
        suite = Suite(workdir, services=["loyalty"], env={
            "CRM_LOYALTY_TIER_INTERVAL_S": "3600", "CRM_LOYALTY_LAPSE_INTERVAL_S": "3600",
            "CRM_LOYALTY_ANALYTICS_INTERVAL_S": "3600"})
        await suite.start()
        try:
            print(f"analytics: {args.requests} requests per report over "
                  f"{args.accounts:,} customers", flush=True)
            figures = await time_reports(suite, args.requests)
        finally:
            await suite.stop()
    record("analytics", {"customers": args.accounts, "days": args.days, **built,
                         "reports": figures})


if __name__ == "__main__":
    asyncio.run(main())
