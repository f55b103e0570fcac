"""Loyalty end to end: purchases per second and latency with 100,000 accounts in the store.

    python -m benchmarks.loyalty [--accounts 100000] [--purchases 15000] [--rate R] [--jobs]

Builds loyalty's data directory in-process (the stand-in database, journaled), starts the
broker and the loyalty service as a process (it replays the data), produces purchases to
Kafka and measures from each send to the loyalty.updated it causes: a burst (throughput;
latency there is mostly queueing) and a 10 s run paced at half the burst's throughput
(latency; ``--rate`` overrides). The service's peak RSS is read before it stops. Prints
figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks import (
    PACED_SECONDS,
    database_server,
    latency_figures,
    open_store,
    paced_rate,
    percentile,
    record,
    settle_load_generator,
)
from services.loyalty import jobs
from services.loyalty.domain import (
    Account,
    load_rules,
    month_key,
    population_values,
    tier_for,
    tier_thresholds,
    trailing_12m_value,
)
from services.loyalty.repository import LoyaltyRepository, TierState, account_document
from shared.contracts import Event, topics
from shared.runtime.harness import Suite

BUILD_BATCH = 2_000


async def build_store(data_dir: Path, accounts: int, rng: random.Random,
                      mongodb_url: str | None = None) -> None:
    """Accounts with a year of monthly value, a card and a tier each, as a running service
    leaves them (tiers consistent with the stored thresholds)."""
    db = open_store("loyalty", data_dir / "loyalty", mongodb_url)
    repo = LoyaltyRepository(db)
    now = datetime.now(UTC)
    months = [month_key(now - timedelta(days=30 * i)) for i in range(12)]
    built = []
    for n in range(accounts):
        by_month = {m: Decimal(rng.randint(0, 50_000)) for m in rng.sample(months, 4)}
        built.append(Account(
            customer_id=f"b-{n}", card_number=f"card-{n}",
            category=rng.choice(("ordinary", "ordinary", "vip", "employee")),
            source=rng.choice(("friend", "google", "radio")),
            value_lifetime=sum(by_month.values(), Decimal(0)), value_by_month=by_month,
            points_balance=rng.randint(0, 5000), purchase_count=4,
            first_purchase_at=now - timedelta(days=300), last_purchase_at=now))
    values = population_values(built, now)
    thresholds = tier_thresholds(values)
    async with db.transaction():
        await repo.save_tiers(TierState(thresholds, values, now))
    for start in range(0, accounts, BUILD_BATCH):
        batch = [account_document(a.model_copy(
                     update={"tier": tier_for(trailing_12m_value(a, now), thresholds)}))
                 for a in built[start:start + BUILD_BATCH]]
        async with db.transaction():
            await repo.accounts.insert_many(batch)
            await repo.cards.insert_many(
                [{"_id": d["card_number"], "customer_id": d["_id"]} for d in batch])
    # The reports' running totals, as the first analytics run leaves them.
    built = await jobs.plan_initial_totals(repo, load_rules())
    async with db.transaction():
        await jobs.apply_initial_totals(repo, built)
    await db.close()


def purchase(n: int, accounts: int, rng: random.Random) -> dict[str, object]:
    customer = f"b-{rng.randrange(accounts)}"
    return {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
            "purchase_id": f"bench-{n}-{uuid.uuid4().hex[:8]}", "customer_id": customer,
            "amount": f"{rng.randint(100, 500_000) / 100:.2f}", "currency": "RUB",
            "discounted": rng.random() < 0.3, "payment_method": "card"}


async def updates_consumer(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=20)  # Tansu answers long polls late
    await consumer.start()
    partitions = consumer.partitions_for_topic(topics.LOYALTY_UPDATED) or set()
    assigned = [TopicPartition(topics.LOYALTY_UPDATED, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    await consumer.seek_to_end(*assigned)
    return consumer


class Stream:
    """Purchases out to Kafka, loyalty.updated back, matched by the derived event id."""

    def __init__(self, bootstrap: str, accounts: int, rng: random.Random) -> None:
        self.bootstrap, self.accounts, self.rng = bootstrap, accounts, rng
        self.sent: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self.n = 0

    async def __aenter__(self) -> Stream:
        self.consumer = await updates_consumer(self.bootstrap)
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=5,
                                         max_batch_size=256 * 1024)
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.consumer.stop()

    async def collect(self, expected: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < expected and time.monotonic() < deadline:
            batch = await self.consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for update in records:
                    event_id = json.loads(update.value)["event_id"]
                    if event_id in self.sent and event_id not in self.received:
                        self.received[event_id] = now

    async def send(self) -> None:
        event = purchase(self.n, self.accounts, self.rng)
        self.n += 1
        expected = str(Event.derived_id(str(event["event_id"]), "loyalty-updated"))
        self.sent[expected] = time.perf_counter()
        await self.producer.send(topics.PURCHASE_RECORDED, json.dumps(event).encode(),
                                 key=str(event["customer_id"]).encode())

    async def run(self, count: int, rate: float | None) -> tuple[float, list[float]]:
        """Send ``count`` purchases (as fast as possible, or at ``rate`` per second); the
        purchases per second end to end and each one's latency (ms)."""
        self.sent.clear()
        self.received.clear()
        collector = asyncio.create_task(self.collect(count, timeout_s=150))
        started = time.perf_counter()
        for n in range(count):
            await self.send()
            if rate is not None:
                await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
            elif n % 1000 == 999:
                await asyncio.sleep(0)  # let the collector read while we produce
        await self.producer.flush()
        produced = time.perf_counter() - started
        await collector
        done = max(self.received.values(), default=started) - started
        latencies = sorted((self.received[k] - self.sent[k]) * 1000 for k in self.received)
        label = "burst" if rate is None else f"paced at {rate:,.0f}/s"
        print(f"{label}: produced {count} purchases in {produced:.1f}s; loyalty.updated for "
              f"{len(self.received)}/{count} after {done:.1f}s")
        per_s = len(self.received) / done if done > 0 else 0.0
        if latencies:
            print(f"  {label}: {per_s:,.0f} purchases/s end to end; "
                  f"latency ms p50 {percentile(latencies, 0.5):,.0f} "
                  f"p99 {percentile(latencies, 0.99):,.0f} max {latencies[-1]:,.0f}")
        return per_s, latencies


async def measure(suite: Suite, accounts: int, count: int, rate: float | None,
                  rng: random.Random) -> dict[str, object]:
    async with Stream(suite.bootstrap, accounts, rng) as stream:
        await stream.send()  # warm-up: the consumer group joins first
        await stream.collect(1, timeout_s=60)
        print(f"loyalty: burst of {count:,} purchases...", flush=True)
        per_s, burst = await stream.run(count, rate=None)
        delivered = len(stream.received)
        steady_rate = paced_rate(per_s, rate)
        paced = max(1, round(steady_rate * PACED_SECONDS))
        print(f"loyalty: paced, {paced:,} purchases at {steady_rate:,.0f}/s...", flush=True)
        _, steady = await stream.run(paced, rate=steady_rate)
    return {"stage": "purchase -> loyalty.updated", "customers": accounts,
            "events_per_s": round(per_s), "burst_count": count, "burst_delivered": delivered,
            **latency_figures("burst", burst), "paced_rate_per_s": round(steady_rate),
            "paced_count": paced, "paced_delivered": len(steady),
            **latency_figures("paced", steady)}


async def time_jobs(suite: Suite) -> None:
    async with suite.client("loyalty", role="admin") as admin:
        admin.timeout = httpx.Timeout(300)
        for job in ("tiers", "lapse"):
            started = time.perf_counter()
            response = await admin.post(f"/api/loyalty/jobs/{job}/run")
            print(f"{job} job over all accounts: {time.perf_counter() - started:.1f}s "
                  f"{response.json()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=None,
                        help="purchases per second of the paced (latency) run, 10 s long "
                             "(default: half the burst's throughput)")
    parser.add_argument("--jobs", dest="time_jobs", action="store_true",
                        help="also time the tier and lapse jobs over all accounts (slow)")
    parser.add_argument("--mongodb", action="store_true",
                        help="the service on a MongoDB server (SecantusDB) over loopback; "
                             "defaults 20,000 accounts and 3,000 purchases")
    args = parser.parse_args()
    if args.mongodb:
        args.accounts = min(args.accounts, 20_000)
        args.purchases = min(args.purchases, 3_000)
    rng = random.Random(args.seed)
    async with database_server(args.mongodb) as url:
        await run(args, rng, url)


async def run(args: argparse.Namespace, rng: random.Random, mongodb_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-loyalty-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        print(f"loyalty: building {args.accounts:,} accounts...", flush=True)
        await build_store(workdir / "data", args.accounts, rng, mongodb_url)
        settle_load_generator()
        print(f"built {args.accounts:,} accounts in {time.perf_counter() - started:.1f}s")
        # The periodic jobs are timed on their own below, not inside the purchase stream.
        suite = Suite(workdir, services=["loyalty"], env={
            "CRM_LOYALTY_TIER_INTERVAL_S": "3600", "CRM_LOYALTY_LAPSE_INTERVAL_S": "3600",
            "CRM_MEMORY_FSYNC": "true", **({"MONGODB_URL": mongodb_url} if mongodb_url else {})})
        started = time.perf_counter()
        await suite.start()
        print(f"loyalty ready (data replayed; stored tiers fresh, no start-up recompute) in "
              f"{time.perf_counter() - started:.1f}s")
        try:
            figures = await measure(suite, args.accounts, args.purchases, args.rate, rng)
            if args.time_jobs:
                await time_jobs(suite)
            rss_mb = suite.peak_rss_mb("loyalty")
        finally:
            await suite.stop()
    if mongodb_url:
        record("loyalty_mongodb", figures)
        return
    record("loyalty", figures)
    if rss_mb is not None:
        print(f"loyalty process peak RSS: {rss_mb:,.0f} MB ({args.accounts:,} accounts)")
        record("rss_mb", {"loyalty": round(rss_mb, 1)})


if __name__ == "__main__":
    asyncio.run(main())
