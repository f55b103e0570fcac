"""Notification decisions per second end to end, with 100,000 known customers.

Pre-builds notify's data directory in-process (recipients and phone keys), starts notify
alone on its own broker, produces purchases of distinct customers to Kafka and times each
from its produce to the ``notification.sent`` it causes: a burst (throughput; latency there
is mostly queueing), then 10 s paced at half the burst's throughput (latency; ``--rate``
overrides). The service's peak RSS is read before it stops. Prints figures only.

    python -m benchmarks.notify [--customers 100000] [--purchases 10000] [--rate R]
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
from pathlib import Path
from zoneinfo import ZoneInfo

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
from services.notify.domain import notification_id
from shared.contracts import topics
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


async def prebuild(data_dir: Path, customers: int, mongodb_url: str | None = None) -> list[str]:
    prefix, digits, zone = daytime_prefix()
    db = open_store("notify", data_dir, mongodb_url)
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
                  ready: asyncio.Event, done: asyncio.Event) -> None:
    """Arrival times of the wanted notifications, read from the end of the topic as it was."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=20)  # Tansu answers long polls late
    await consumer.start()
    try:
        assigned = [TopicPartition(topics.NOTIFICATION_SENT, p)
                    for p in sorted(consumer.partitions_for_topic(topics.NOTIFICATION_SENT)
                                    or {0})]
        consumer.assign(assigned)
        await consumer.seek_to_end(*assigned)
        for partition in assigned:
            await consumer.position(partition)  # the end is resolved before anything is sent
        ready.set()
        while len(seen) < len(want):
            batch = await consumer.getmany(timeout_ms=200)
            arrived = time.perf_counter()
            for records in batch.values():
                for sent in records:
                    value = json.loads(sent.value)
                    if value["notification_id"] in want:
                        seen.setdefault(value["notification_id"], arrived)
    finally:
        done.set()
        await consumer.stop()


def purchases_of(customer_ids: list[str]) -> list[tuple[str, str, bytes]]:
    """(the notification id it should cause, customer id, the purchase) per customer."""
    messages = []
    for customer_id in customer_ids:
        purchase_id = f"p-{uuid.uuid4().hex[:16]}"
        body = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                "purchase_id": purchase_id, "customer_id": customer_id, "amount": "990.00",
                "currency": "RUB", "discounted": False, "payment_method": "card",
                "employee_id": f"e-{random.randint(1, 200)}"}
        messages.append((notification_id("quality_survey", f"purchase:{purchase_id}"),
                         customer_id, json.dumps(body).encode()))
    return messages


async def phase(bootstrap: str, customer_ids: list[str], rate: float | None,
                timeout_s: float) -> tuple[float, list[float]]:
    """Purchases of these customers, all at once or at ``rate`` per second: the decisions
    per second end to end and each one's latency (ms), printed as well."""
    messages = purchases_of(customer_ids)
    seen: dict[str, float] = {}
    ready, done = asyncio.Event(), asyncio.Event()
    collector = asyncio.create_task(
        collect(bootstrap, {m[0] for m in messages}, seen, ready, done))
    await asyncio.wait_for(ready.wait(), timeout=30)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    produced: dict[str, float] = {}
    first = time.perf_counter()
    try:
        futures = []
        for n, (nid, customer_id, value) in enumerate(messages):
            if rate is not None:
                await asyncio.sleep(max(0.0, first + n / rate - time.perf_counter()))
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
    label = "burst" if rate is None else f"paced at {rate:,.0f}/s"
    print(f"notify {label}: {len(messages)} purchases produced in {produce_s:.2f}s; "
          f"{len(seen)}/{len(messages)} decisions end to end in {elapsed:.2f}s "
          f"= {len(seen) / elapsed:.0f} decisions/s")
    if latencies:
        print(f"notify {label}: latency purchase -> notification.sent p50 "
              f"{percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
              f"max {latencies[-1]:.0f} ms", flush=True)
    return len(seen) / elapsed, latencies


async def run(customers: int, purchases: int, rate: float | None, timeout_s: float,
              mongodb_url: str | None = None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    started = time.perf_counter()
    print(f"notify: building {customers:,} recipients...", flush=True)
    ids = await prebuild(workdir / "data" / "notify", customers, mongodb_url)
    settle_load_generator()
    built = time.perf_counter() - started
    suite = Suite(workdir, services=["notify"], env={
        "CRM_LOG_LEVEL": "WARNING", **({"MONGODB_URL": mongodb_url} if mongodb_url else {})})
    started = time.perf_counter()
    await suite.start()
    print(f"notify: {customers} known customers (data dir built in {built:.1f}s, "
          f"service ready in {time.perf_counter() - started:.1f}s)", flush=True)
    try:
        # Each purchase of a different customer, in both phases: a customer surveyed in the
        # last 30 days is throttled, another path through the rules.
        unused = random.sample(ids, len(ids))
        burst_ids, unused = unused[:purchases], unused[purchases:]
        per_s, burst = await phase(suite.bootstrap, burst_ids, None, timeout_s)
        steady_rate = paced_rate(per_s, rate)
        paced_ids = unused[:max(1, round(steady_rate * PACED_SECONDS))]
        print(f"notify: paced, {len(paced_ids):,} purchases at {steady_rate:,.0f}/s...",
              flush=True)
        _, steady = await phase(suite.bootstrap, paced_ids, steady_rate, timeout_s)
        rss_mb = suite.peak_rss_mb("notify")
    finally:
        await suite.stop()
    record("notify_mongodb" if mongodb_url else "notify", {
        "stage": "purchase -> notification decision", "customers": customers,
        "events_per_s": round(per_s), "burst_count": len(burst_ids),
        "burst_delivered": len(burst), **latency_figures("burst", burst),
        "paced_rate_per_s": round(steady_rate), "paced_count": len(paced_ids),
        "paced_delivered": len(steady), **latency_figures("paced", steady)})
    if rss_mb is not None and not mongodb_url:
        print(f"notify process peak RSS: {rss_mb:,.0f} MB ({customers:,} recipients)")
        record("rss_mb", {"notify": round(rss_mb, 1)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=10_000, help="burst size")
    parser.add_argument("--rate", type=float, default=None,
                        help="purchases per second of the 10 s paced run "
                             "(default: half the burst's throughput)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--mongodb", action="store_true",
                        help="the service on a MongoDB server (SecantusDB) over loopback; "
                             "defaults 20,000 customers and 3,000 purchases")
    args = parser.parse_args()
    if args.mongodb:
        args.customers = min(args.customers, 20_000)
        args.purchases = min(args.purchases, 3_000)

    async def both() -> None:
        async with database_server(args.mongodb) as url:
            await run(args.customers, args.purchases, args.rate, args.timeout, url)

    asyncio.run(both())


if __name__ == "__main__":
    main()
