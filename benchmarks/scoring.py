"""Scoring end to end on the embedded broker: registrations scored per second and the p99
latency from ``registered`` to ``scored``. Prints figures; asserts nothing about speed.

    python -m benchmarks.scoring [--count 10000]
    python -m benchmarks.scoring --profile [--count 3000]   # cProfile of the handler, in-process

Registrations go straight to Kafka (batched aiokafka producer) and the scoring service runs
as its own process with a journaled in-memory database, as under ``make run``. Latency is
each scored record's Kafka timestamp minus the ``occurred_at`` stamped just before its
registration was handed to the producer.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.contracts import CustomerRegistered, topics
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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def produce(producer: AIOKafkaProducer, items: list[dict[str, Any]]) -> dict[str, float]:
    """Send all, batched; return when each was stamped (epoch seconds)."""
    stamped: dict[str, float] = {}
    futures = []
    for fields in items:
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
            for record in records:
                customer_id = json.loads(record.value)["customer_id"]
                seen.setdefault(customer_id, record.timestamp / 1000)
    return seen


async def measure(count: int, workdir: Path) -> None:
    suite = Suite(workdir, services=["scoring"])
    await suite.start()
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5,
                                max_batch_size=512 * 1024)
    consumer = AIOKafkaConsumer(bootstrap_servers=suite.bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.CUSTOMER_SCORED, p)
                      for p in sorted(consumer.partitions_for_topic(topics.CUSTOMER_SCORED) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Warm-up: the service's consumer group has joined once one registration is scored.
        warm = registrations(20, seed=1)
        for i, item in enumerate(warm):
            item["customer_id"] = f"warm-{i}"
        await produce(producer, warm)
        if len(await collect(consumer, {w["customer_id"] for w in warm}, 60)) < len(warm):
            raise SystemExit("warm-up registrations were not scored:\n" + suite.tail())

        items = registrations(count)
        started = time.perf_counter()
        reader = asyncio.create_task(
            collect(consumer, {i["customer_id"] for i in items}, timeout_s=110))
        stamped = await produce(producer, items)
        produced_s = time.perf_counter() - started
        scored = await reader
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        await suite.stop()

    latencies = [1000 * (scored[c] - stamped[c]) for c in stamped if c in scored]
    print(f"scoring end to end, {count} registrations on the embedded broker (1 process)")
    print(f"  produced in            {produced_s:8.2f} s ({count / produced_s:,.0f}/s)")
    print(f"  scored                 {len(scored):8d} of {count}")
    print(f"  first produce -> last scored {elapsed:8.2f} s")
    print(f"  throughput             {len(scored) / elapsed:8,.0f} registrations/s")
    if latencies:
        for label, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            print(f"  latency {label}            {percentile(latencies, share):8.0f} ms")
        print(f"  latency max            {max(latencies):8.0f} ms")


def profile(count: int) -> None:
    """cProfile of on_registered with the in-memory database, one transaction per event."""
    from services.scoring import handlers
    from services.scoring.domain import DEFAULT_RULES_PATH
    from services.scoring.repository import ScoringRepository
    from services.scoring.rules import LiveRules
    from shared.database.memory import MemoryDatabase

    rules = LiveRules(DEFAULT_RULES_PATH)
    events = [CustomerRegistered(**fields) for fields in registrations(count)]

    async def run(events: list[CustomerRegistered] = events) -> float:
        db = MemoryDatabase("bench")
        repo = ScoringRepository(db)
        started = time.perf_counter()
        for event in events:
            async with db.transaction():
                await handlers.on_registered(repo, rules.current, event)
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
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.count or 3000)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as workdir:
        asyncio.run(measure(args.count or 10_000, Path(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
