"""Scoring end to end on the embedded broker: registrations scored per second and the p99
latency from ``registered`` to ``scored``. Prints figures; asserts nothing about speed.

    python -m benchmarks.scoring [--count 5000] [--customers 100000]
                                 [--rate R] [--paced N | --paced-seconds 10]
    python -m benchmarks.scoring --profile [--count 3000]   # cProfile of the handler, in-process

Scoring's data directory is filled first with ``--customers`` scored customers (the real
handler scores a varied sample in-process; its documents are copied under new ids), so the
service carries what 100,000 customers leave, as the other stages do. Two phases: a burst
(all registrations produced at once: throughput, and the latency of a backlog) and a steady
phase paced at half the burst's measured throughput for 10 s (the latency one registration
sees; ``--rate`` and ``--paced`` override). Registrations go straight to Kafka (batched
aiokafka producer) and the scoring service runs as its own process with a journaled
in-memory database, as under ``make run``. Latency is each scored record's Kafka timestamp
minus the ``occurred_at`` stamped just before its registration was handed to the producer.
The service's peak RSS is read before it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks import (
    PACED_SECONDS,
    database_server,
    latency_figures,
    paced_rate,
    percentile,
    record,
    settle_load_generator,
)
from shared.contracts import CustomerRegistered, topics
from shared.database.memory import MemoryDatabase
from shared.runtime.harness import Suite

FIRST = ["Анна", "Ольга", "Иван", "Сергей", "Mohammad", "Zahra", "John", "Emma", "Lukas", "Ayşe"]
LAST = ["Петрова", "Смирнова", "Кузнецов", "Иванов", "Rezaei", "Karimi", "Smith", "Müller"]
FAMOUS = ["Alexander Pushkin", "Дмитрий Медведев", "John Doe", "Test Test", "qwerty asdf"]
IPS = {"RU": ["5.255.255.5", "77.88.8.8", "87.250.250.242", "95.108.213.1"],
       "US": ["8.8.8.8", "8.8.4.4"], "DE": ["46.4.0.1"], "IR": ["185.143.233.1", "2.144.0.1"]}
DOMAINS = ["yandex.ru", "mail.ru", "gmail.com", "mailinator.com", "acme-trading.ru", "firma.de"]


def registrations(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """A varied, repeatable mix: mostly ordinary customers, some fraud, shared IPs."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        country = rng.choice(list(IPS))
        name = rng.choice(FAMOUS) if rng.random() < 0.1 else \
            f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        fields: dict[str, Any] = {
            "customer_id": f"bench-{i:06d}", "full_name": name,
            "phone": f"+7916{rng.randrange(10**7):07d}", "country": "RU",
            "person_type": "company" if rng.random() < 0.1 else "individual",
            "category": "ordinary", "entered_by": rng.choice(["operator", "self"]),
        }
        if rng.random() < 0.9:
            # A random address of the country, sometimes a shared one (velocity).
            fields["ip"] = rng.choice(IPS[country]) if rng.random() < 0.05 else \
                f"{rng.choice(IPS[country]).rsplit('.', 1)[0]}.{rng.randrange(1, 255)}"
        if rng.random() < 0.7:
            fields["card_holder_name"] = name if rng.random() < 0.8 else "JOHN SMITH"
        if rng.random() < 0.8:
            fields["email"] = f"user{i}@{rng.choice(DOMAINS)}"
        if rng.random() < 0.6:
            fields["source"], fields["language"] = "friend", "ru"
        out.append(fields)
    return out


async def produce(producer: AIOKafkaProducer, items: list[dict[str, Any]],
                  rate_per_s: float | None = None) -> dict[str, float]:
    """Send all (batched, or paced at ``rate_per_s``); return each one's stamp (epoch s)."""
    stamped: dict[str, float] = {}
    futures = []
    started = time.perf_counter()
    for n, fields in enumerate(items):
        if rate_per_s:
            await asyncio.sleep(max(0.0, started + n / rate_per_s - time.perf_counter()))
        now = datetime.now(UTC)
        body = fields | {"event_id": str(uuid.uuid4()), "occurred_at": now.isoformat()}
        stamped[fields["customer_id"]] = now.timestamp()
        futures.append(await producer.send(topics.CUSTOMER_REGISTERED, json.dumps(body).encode(),
                                           key=fields["customer_id"].encode()))
    await asyncio.gather(*futures)
    return stamped


async def collect(consumer: AIOKafkaConsumer, wanted: set[str], timeout_s: float
                  ) -> dict[str, float]:
    """Scored record timestamps (epoch seconds) by customer id, until all wanted are seen."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    while not wanted <= seen.keys() and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200, max_records=5000)
        for records in batch.values():
            for scored in records:
                customer_id = json.loads(scored.value)["customer_id"]
                if customer_id in wanted:
                    seen.setdefault(customer_id, scored.timestamp / 1000)
    return seen


def renamed(items: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [item | {"customer_id": f"{prefix}-{i:06d}"} for i, item in enumerate(items)]


class Phase:
    """One load phase: what was sent, what came back, how long it took."""

    def __init__(self, name: str, items: list[dict[str, Any]], rate_per_s: float | None):
        self.name, self.items, self.rate_per_s = name, items, rate_per_s
        self.stamped: dict[str, float] = {}
        self.scored: dict[str, float] = {}
        self.elapsed = 0.0

    async def run(self, producer: AIOKafkaProducer, consumer: AIOKafkaConsumer,
                  timeout_s: float) -> None:
        started = time.perf_counter()
        wanted = {item["customer_id"] for item in self.items}
        reader = asyncio.create_task(collect(consumer, wanted, timeout_s))
        self.stamped = await produce(producer, self.items, self.rate_per_s)
        self.scored = await reader
        self.elapsed = time.perf_counter() - started

    @property
    def latencies_ms(self) -> list[float]:
        return [1000 * (self.scored[c] - self.stamped[c]) for c in self.scored]

    @property
    def per_s(self) -> float:
        return len(self.scored) / self.elapsed if self.elapsed else 0.0

    def report(self) -> list[str]:
        count, done = len(self.items), len(self.scored)
        latencies = self.latencies_ms
        offered = f"paced at {self.rate_per_s:.0f}/s" if self.rate_per_s else "all at once"
        lines = [f"{self.name}: {count} registrations, {offered}",
                 f"  scored                  {done:8d} of {count}",
                 f"  first produce -> last scored {self.elapsed:7.2f} s",
                 f"  throughput              {self.per_s:8,.0f} registrations/s"]
        if latencies:
            figures = ", ".join(f"{label} {percentile(latencies, share):,.0f}"
                                for label, share in (("p50", .5), ("p95", .95), ("p99", .99)))
            lines.append(f"  registered -> scored    {figures}, max {max(latencies):,.0f} ms")
        return lines


async def fill_store(data_dir: Path, customers: int, sample: int = 2000) -> None:
    """Scoring's documents for ``customers`` registrations of the past year.

    Scoring a registration costs about a millisecond here, so the real handler scores
    ``sample`` of them into a scratch database, and their scores and behaviour profiles are
    copied under new customer ids; the velocity lists (pruned to their window, so they do
    not grow with the customers) are kept as the sample left them.
    """
    from services.scoring.domain import DEFAULT_RULES_PATH
    from services.scoring.handlers import registration
    from services.scoring.repository import ScoringRepository
    from services.scoring.settings import LiveConfig

    config = LiveConfig(DEFAULT_RULES_PATH)
    scratch = ScoringRepository(MemoryDatabase("scratch"))
    year_ago = datetime.now(UTC) - timedelta(days=365)
    for n, fields in enumerate(registrations(min(sample, customers), seed=3)):
        event = CustomerRegistered(**fields, occurred_at=year_ago + timedelta(minutes=5 * n))
        await registration.on_registered(scratch, config.current, event)
    scores = await scratch.scores.find({}).to_list(None)
    profiles = {p["_id"]: p for p in await scratch.behaviour.find({}).to_list(None)}
    db = MemoryDatabase("crm_scoring", data_dir, fsync=False)
    repo = ScoringRepository(db)
    async with db.transaction():
        await repo.velocity.insert_many(await scratch.velocity.find({}).to_list(None))
    for first in range(0, customers, 5000):
        copies, copied_profiles = [], []
        for n in range(first, min(first + 5000, customers)):
            score, customer_id = scores[n % len(scores)], f"stored-{n:06d}"
            copies.append(score | {"_id": customer_id, "customer_id": customer_id,
                                   "registration_event_id": str(uuid.uuid4())})
            if score["_id"] in profiles:
                copied_profiles.append(profiles[score["_id"]] | {"_id": customer_id})
        async with db.transaction():
            await repo.scores.insert_many(copies)
            if copied_profiles:
                await repo.behaviour.insert_many(copied_profiles)
    await db.durable()
    await db.close()


async def measure(count: int, customers: int, paced: int | None, rate: float | None,
                  paced_seconds: float, workdir: Path, mongodb_url: str | None = None) -> None:
    if customers:
        print(f"scoring: storing {customers:,} scored customers...", flush=True)
        started = time.perf_counter()
        await fill_store(workdir / "data" / "scoring", customers)
        settle_load_generator()
        print(f"scoring: stored in {time.perf_counter() - started:.1f} s; starting the service "
              "(it replays them)...", flush=True)
    suite = Suite(workdir, services=["scoring"],
                  env={"MONGODB_URL": mongodb_url} if mongodb_url else None)
    await suite.start()
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5,
                                max_batch_size=512 * 1024)
    consumer = AIOKafkaConsumer(bootstrap_servers=suite.bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=20)  # Tansu answers long polls late
    await producer.start()
    await consumer.start()
    burst = Phase("burst", renamed(registrations(count), "burst"), None)
    phases = [burst]
    rss_mb = None
    try:
        partitions = [TopicPartition(topics.CUSTOMER_SCORED, p)
                      for p in sorted(consumer.partitions_for_topic(topics.CUSTOMER_SCORED) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Warm-up: the service's consumer group has joined once these are scored.
        warm = Phase("warm-up", renamed(registrations(20, seed=1), "warm"), None)
        await warm.run(producer, consumer, 60)
        if len(warm.scored) < len(warm.items):
            raise SystemExit("warm-up registrations were not scored:\n" + suite.tail())
        print(f"scoring: burst of {count:,} registrations...", flush=True)
        await burst.run(producer, consumer, timeout_s=110)
        steady_rate = paced_rate(burst.per_s, rate)
        steady_count = paced or max(1, round(steady_rate * paced_seconds))
        print(f"scoring: paced, {steady_count:,} registrations at {steady_rate:,.0f}/s...",
              flush=True)
        steady = Phase("steady", renamed(registrations(steady_count, seed=8), "steady"),
                       steady_rate)
        phases.append(steady)
        await steady.run(producer, consumer, timeout_s=110 + steady_count / steady_rate)
        rss_mb = suite.peak_rss_mb("scoring")
    finally:
        await producer.stop()
        await consumer.stop()
        await suite.stop()
    print("scoring end to end on the embedded broker (one scoring process, "
          + ("a MongoDB server over loopback)" if mongodb_url else
             "journaled in-memory database)"))
    for phase in phases:
        print("\n".join(phase.report()))
    if rss_mb is not None:
        print(f"scoring process peak RSS: {rss_mb:,.0f} MB ({customers:,} stored customers)")
    record("scoring_mongodb" if mongodb_url else "scoring", {
        "stage": "registration -> scored", "customers": customers,
        "events_per_s": round(burst.per_s), "burst_count": len(burst.items),
        "burst_delivered": len(burst.scored), **latency_figures("burst", burst.latencies_ms),
        "paced_rate_per_s": round(steady.rate_per_s or 0), "paced_count": len(steady.items),
        "paced_delivered": len(steady.scored), **latency_figures("paced", steady.latencies_ms),
    })
    if rss_mb is not None and not mongodb_url:
        record("rss_mb", {"scoring": round(rss_mb, 1)})


def profile(count: int) -> None:
    """cProfile of on_registered with the in-memory database, one transaction per event."""
    from services.scoring.domain import DEFAULT_RULES_PATH
    from services.scoring.handlers import registration
    from services.scoring.repository import ScoringRepository
    from services.scoring.settings import LiveConfig
    from shared.database.memory import MemoryDatabase

    config = LiveConfig(DEFAULT_RULES_PATH)
    events = [CustomerRegistered(**fields) for fields in registrations(count)]

    async def run(events: list[CustomerRegistered] = events) -> float:
        db = MemoryDatabase("bench")
        repo = ScoringRepository(db)
        started = time.perf_counter()
        for event in events:
            async with db.transaction():
                await registration.on_registered(repo, config.current, event)
        return time.perf_counter() - started

    asyncio.run(run(events[:200]))  # loads the IP database and the name lists
    plain = asyncio.run(run())
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(run())
    profiler.disable()
    print(f"on_registered in-process: {count / plain:,.0f} registrations/s "
          f"({1e6 * plain / count:.0f} µs each, without the profiler)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=None, help="burst size (default 5000)")
    parser.add_argument("--customers", type=int, default=100_000,
                        help="scored customers stored before the service starts (0: none)")
    parser.add_argument("--rate", type=float, default=None,
                        help="steady rate per second (default: half the burst's throughput)")
    parser.add_argument("--paced", type=int, default=None,
                        help="registrations at the steady rate (default: --paced-seconds of it)")
    parser.add_argument("--paced-seconds", type=float, default=PACED_SECONDS)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--mongodb", action="store_true",
                        help="the service on a MongoDB server (SecantusDB) over loopback; "
                             "default burst 2000, no stored customers")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.count or 3000)
        return 0

    async def run(workdir: Path) -> None:
        async with database_server(args.mongodb) as url:
            await measure(args.count or (2000 if url else 5000),
                          0 if url else args.customers, args.paced, args.rate,
                          args.paced_seconds, workdir, url)

    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as workdir:
        asyncio.run(run(Path(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
