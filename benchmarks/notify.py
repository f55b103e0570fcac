"""Notification decisions per second end to end, with 100,000 known customers.

Pre-builds notify's data directory in-process (recipients and phone keys), starts notify
alone on its own broker, produces purchases of distinct customers to Kafka and times each
from its produce to the ``notification.sent`` it causes. Prints figures only.

    python -m benchmarks.notify [--customers 100000] [--purchases 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks import settle_load_generator
from services.notify.domain import notification_id
from shared.contracts import topics
from shared.database.memory import MemoryDatabase
from shared.runtime.harness import Suite

# Prefixes (with the digits after them) and their zones, around the clock: at any hour
# one of them is in daytime. Recipients are stored with the zone, as registration does.
PREFIXES = [("+7495", 7, "Europe/Moscow"), ("+4420", 8, "Europe/London"),
            ("+1212", 7, "America/New_York"), ("+813", 8, "Asia/Tokyo"),
            ("+612", 8, "Australia/Sydney"), ("+9714", 7, "Asia/Dubai"),
            ("+662", 7, "Asia/Bangkok"), ("+1808", 7, "Pacific/Honolulu"),
            ("+1213", 7, "America/Los_Angeles")]


def daytime_prefix(now: datetime | None = None,
                   margin: timedelta = timedelta(minutes=15)) -> tuple[str, int, str]:
    """A prefix whose zone is inside the default sending window (09:00-21:00) now."""
    now = now or datetime.now(UTC)
    for prefix, digits, zone_name in PREFIXES:
        zone = ZoneInfo(zone_name)
        early, late = (now - margin).astimezone(zone), (now + margin).astimezone(zone)
        if early.hour >= 9 and late.hour < 21 and early.date() == late.date():
            return prefix, digits, zone_name
    raise SystemExit(f"no listed zone is in daytime at {now:%H:%M} UTC")


async def prebuild(data_dir: Path, customers: int) -> list[str]:
    prefix, digits, zone = daytime_prefix()
    db = MemoryDatabase("crm_notify", data_dir)
    recipients, phones = db.collection("recipients"), db.collection("phones")
    ids = [f"c-{i:07d}" for i in range(customers)]
    now = datetime.now(UTC)
    for start in range(0, customers, 5000):
        chunk = ids[start:start + 5000]
        async with db.transaction():
            rows = [(cid, f"{prefix}{i + start:0{digits}d}") for i, cid in enumerate(chunk)]
            await recipients.insert_many([
                {"_id": cid, "phone": phone, "language": random.choice(["en", "ru", "fa"]),
                 "time_zone": zone, "registered_at": now} for cid, phone in rows])
            await phones.insert_many([{"_id": phone, "customer_id": cid} for cid, phone in rows])
    await db.durable()
    await db.close()
    return ids


async def collect(bootstrap: str, want: set[str], seen: dict[str, float],
                  done: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=20)  # Tansu answers long polls late
    await consumer.start()
    try:
        assigned = [TopicPartition(topics.NOTIFICATION_SENT, p)
                    for p in sorted(consumer.partitions_for_topic(topics.NOTIFICATION_SENT)
                                    or {0})]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while len(seen) < len(want):
            batch = await consumer.getmany(timeout_ms=200)
            arrived = time.perf_counter()
            for records in batch.values():
                for record in records:
                    value = json.loads(record.value)
                    if value["notification_id"] in want:
                        seen.setdefault(value["notification_id"], arrived)
    finally:
        done.set()
        await consumer.stop()


async def run(customers: int, purchases: int, timeout_s: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    started = time.perf_counter()
    ids = await prebuild(workdir / "data" / "notify", customers)
    settle_load_generator()
    built = time.perf_counter() - started
    suite = Suite(workdir, services=["notify"], env={"CRM_LOG_LEVEL": "WARNING"})
    started = time.perf_counter()
    await suite.start()
    ready = time.perf_counter() - started
    try:
        chosen = random.sample(ids, purchases)
        messages = []
        for customer_id in chosen:
            purchase_id = f"p-{uuid.uuid4().hex[:16]}"
            body = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                    "purchase_id": purchase_id, "customer_id": customer_id, "amount": "990.00",
                    "currency": "RUB", "discounted": False, "payment_method": "card",
                    "employee_id": f"e-{random.randint(1, 200)}"}
            messages.append((notification_id("quality_survey", f"purchase:{purchase_id}"),
                             customer_id, json.dumps(body).encode()))
        seen: dict[str, float] = {}
        done = asyncio.Event()
        collector = asyncio.create_task(
            collect(suite.bootstrap, {m[0] for m in messages}, seen, done))
        await asyncio.sleep(1)  # the collector is assigned and reading
        producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap, linger_ms=5)
        await producer.start()
        produced: dict[str, float] = {}
        first = time.perf_counter()
        try:
            futures = []
            for nid, customer_id, value in messages:
                produced[nid] = time.perf_counter()
                futures.append(await producer.send(topics.PURCHASE_RECORDED, value,
                                                   key=customer_id.encode()))
            await asyncio.gather(*futures)
        finally:
            await producer.stop()
        produce_s = time.perf_counter() - first
        try:
            await asyncio.wait_for(done.wait(), timeout=timeout_s)
        except TimeoutError:
            collector.cancel()
        elapsed = (max(seen.values()) if seen else time.perf_counter()) - first
        latencies = sorted((seen[nid] - produced[nid]) * 1000 for nid in seen)
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
        print(f"notify: {customers} known customers (data dir built in {built:.1f}s, "
              f"service ready in {ready:.1f}s)")
        print(f"notify: {purchases} purchases produced in {produce_s:.2f}s")
        print(f"notify: {len(seen)}/{purchases} decisions end to end in {elapsed:.2f}s "
              f"= {len(seen) / elapsed:.0f} decisions/s")
        if latencies:
            print(f"notify: latency purchase -> notification.sent p50 "
                  f"{statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms, "
                  f"max {latencies[-1]:.0f} ms")
    finally:
        await suite.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    asyncio.run(run(args.customers, args.purchases, args.timeout))


if __name__ == "__main__":
    main()
