"""cProfile of notify's purchase handler (and of the sender that follows it), in-process,
with 100,000 recipients in the store.

    python -m benchmarks.profile_notify [--customers 100000] [--count 3000] [--sender]

The recipients (and their phone keys) are built as ``benchmarks.notify`` builds them, in a
zone where it is daytime now, into a scratch data directory, and the stand-in database
replays them as the service does at start. Each purchase is of a different customer (a
customer surveyed in the last 30 days would take the throttle's path instead) and is handled
as the consume path handles it: the validated event, ``on_purchase`` inside
``db.transaction()``. Prints the microseconds per purchase without the profiler (elapsed, and
of this process's CPU, which other work on the machine disturbs less), then the top 25
cumulative lines of a profiled run of as many other purchases.

``--sender`` does the same for the sender's rounds that hand those messages to the outbox
gateway (re-decide, store, mark sent), the other half of a purchase's way to
``notification.sent``. Asserts nothing about speed.
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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.notify import prebuild, purchases_of
from services.notify import handlers
from services.notify.domain import Policy
from services.notify.gateways.sms import OutboundSms, OutboxGateway
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared.contracts import Event, PurchaseRecorded
from shared.database.memory import MemoryDatabase


def utc_now() -> datetime:
    return datetime.now(UTC)


Seconds = tuple[float, float]  # elapsed, and this process's CPU (steadier on a busy machine)


def since(started: Seconds) -> Seconds:
    return time.perf_counter() - started[0], time.process_time() - started[1]


def clocks() -> Seconds:
    return time.perf_counter(), time.process_time()


async def handle_all(db: MemoryDatabase, repo: NotifyRepository, policy: Policy,
                     events: list[PurchaseRecorded]) -> Seconds:
    """Seconds to handle ``events`` one transaction each."""
    started = clocks()
    for event in events:
        async with db.transaction():
            await handlers.on_purchase(repo, policy, event, utc_now())
    return since(started)


async def send_all(sender: Sender) -> tuple[int, Seconds]:
    """Rounds until nothing is due: the messages looked at, and the seconds."""
    started, looked = clocks(), 0
    while (round_size := await sender.send_due()) > 0:
        looked += round_size
    return looked, since(started)


def sender_of(db: MemoryDatabase, repo: NotifyRepository, policy: Policy) -> Sender:
    """The embedded mode's sender: the outbox gateway, and an outbox that drops events."""

    async def store(message: OutboundSms) -> None:
        await repo.store_outbound(message, utc_now())

    async def publish(events: Sequence[Event]) -> None:
        return None

    return Sender(db, repo, OutboxGateway(store=store), policy, publish, utc_now)


async def profiled(run: Callable[[], Awaitable[object]]) -> cProfile.Profile:
    profiler = cProfile.Profile()
    profiler.enable()
    await run()
    profiler.disable()
    return profiler


def report(label: str, count: int, seconds: Seconds, profiler: cProfile.Profile) -> None:
    elapsed, cpu = seconds
    print(f"{label}: {count / elapsed:,.0f} purchases/s ({1e6 * elapsed / count:.0f} µs each, "
          f"{1e6 * cpu / count:.0f} µs of CPU, without the profiler)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


async def profile(customers: int, count: int, with_sender: bool, workdir: Path) -> None:
    print(f"profile_notify: building {customers:,} recipients...", flush=True)
    ids = await prebuild(workdir, customers)
    db = MemoryDatabase("crm_notify", workdir, fsync=False)
    repo = NotifyRepository(db)
    policy = NotifySettings().policy()
    sender = sender_of(db, repo, policy)
    chosen = random.Random(1).sample(ids, min(len(ids), 200 + 2 * count))
    events = [PurchaseRecorded.model_validate_json(body)
              for _, _, body in purchases_of(chosen)]
    warm, plain, last = events[:200], events[200:200 + count], events[200 + count:]
    await handle_all(db, repo, policy, warm)
    await send_all(sender)
    seconds = await handle_all(db, repo, policy, plain)
    sent, sending_s = await send_all(sender) if with_sender else (0, (0.0, 0.0))
    handling = await profiled(lambda: handle_all(db, repo, policy, last))
    sending = await profiled(lambda: send_all(sender)) if with_sender else None
    await db.close()
    report(f"on_purchase in-process, {customers:,} recipients", count, seconds, handling)
    if sending is not None:
        if sent != count:
            print(f"(the sender looked at {sent} messages, not {count})")
        report("sender rounds for those purchases' messages", count, sending_s, sending)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=3000, help="purchases per run")
    parser.add_argument("--sender", action="store_true",
                        help="also profile the sender's rounds for those messages")
    args = parser.parse_args(argv)
    if args.customers < 200 + 2 * args.count:
        parser.error("--customers must be at least 200 + 2 x --count (one purchase each)")
    with tempfile.TemporaryDirectory(prefix="profile-notify-") as workdir:
        asyncio.run(profile(args.customers, args.count, args.sender, Path(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
