"""cProfile of loyalty's purchase handler, in-process, with 100,000 accounts in the store.

    python -m benchmarks.profile_loyalty [--accounts 100000] [--count 3000]

The accounts are built as ``benchmarks.loyalty`` builds them (a year of monthly value, a
card and a tier each) into a scratch data directory, and the stand-in database replays them
as the service does at start. Each purchase is handled as the consume path handles it: the
validated event, ``on_purchase`` inside ``db.transaction()``. Prints the microseconds per
purchase without the profiler (elapsed, and of this process's CPU, which other work on the
machine disturbs less), then the top 25 cumulative lines of a profiled run of as many other
purchases. Asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.loyalty import build_store, purchase
from services.loyalty import handlers
from services.loyalty.domain import load_rules
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import PurchaseRecorded
from shared.database.memory import MemoryDatabase


async def handle_all(db: MemoryDatabase, repo: LoyaltyRepository,
                     events: list[PurchaseRecorded]) -> tuple[float, float]:
    """Seconds to handle ``events`` one transaction each: elapsed, and this process's CPU
    (steadier when other work shares the machine)."""
    rules = load_rules()
    started, cpu = time.perf_counter(), time.process_time()
    for event in events:
        async with db.transaction():
            await handlers.on_purchase(repo, rules, event, datetime.now(UTC))
    return time.perf_counter() - started, time.process_time() - cpu


async def profile(accounts: int, count: int, workdir: Path) -> None:
    rng = random.Random(1)
    print(f"profile_loyalty: building {accounts:,} accounts...", flush=True)
    await build_store(workdir, accounts, rng)
    db = MemoryDatabase("crm_loyalty", workdir / "loyalty", fsync=False)
    repo = LoyaltyRepository(db)
    events = [PurchaseRecorded.model_validate(purchase(n, accounts, rng))
              for n in range(200 + 2 * count)]
    warm, plain, profiled = events[:200], events[200:200 + count], events[200 + count:]
    await handle_all(db, repo, warm)  # the tiers document is read once, then kept
    seconds, cpu_s = await handle_all(db, repo, plain)
    profiler = cProfile.Profile()
    profiler.enable()
    await handle_all(db, repo, profiled)
    profiler.disable()
    await db.close()
    print(f"on_purchase in-process, {accounts:,} accounts: {count / seconds:,.0f} purchases/s "
          f"({1e6 * seconds / count:.0f} µs each, {1e6 * cpu_s / count:.0f} µs of CPU, "
          "without the profiler)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=3000, help="purchases per run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-loyalty-") as workdir:
        asyncio.run(profile(args.accounts, args.count, Path(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
