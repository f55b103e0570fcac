"""The MongoDB stand-in: exact-_id operations at 100,000 documents, and what a scan costs."""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import statistics
import tempfile
import time
from pathlib import Path

from shared.database import fastpath
from shared.database.memory import MemoryDatabase

N = 100_000


def per_op_us(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"p50 {statistics.median(samples) * 1e6:7.1f} µs   p99 {p99 * 1e6:7.1f} µs"


async def timed(count: int, op) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(count):
        started = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - started)
    return samples


async def main() -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as directory:
        db = MemoryDatabase("bench", Path(directory))
        cards = db.collection("caller_cards")
        started = time.perf_counter()
        batch = []
        for i in range(N):
            batch.append({"_id": f"c-{i:08d}", "full_name": f"Customer {i}", "category": "vip",
                          "risk": {"score": i % 100, "band": "low", "reasons": []},
                          "loyalty": {"tier": "standard", "points_balance": i},
                          "last_purchases": [], "registered_at": dt.datetime.now(dt.UTC)})
            if len(batch) == 1000:
                await cards.insert_many(batch)
                batch = []
        await db.durable()
        print(f"loaded {N:,} documents (journaled) in {time.perf_counter() - started:.1f}s")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"resident memory grew by {(rss - rss_before) / 1024:.0f} MiB for {N:,} documents")

        print(f"find_one by _id     {per_op_us(await timed(5000, lambda i: cards.find_one({'_id': f'c-{(i * 7919) % N:08d}'})))}")  # noqa: E501
        print(f"update_one by _id   {per_op_us(await timed(5000, lambda i: cards.update_one({'_id': f'c-{(i * 7919) % N:08d}'}, {'$inc': {'loyalty.points_balance': 1}})))}  (journaled)")  # noqa: E501

        async def one_event(i: int) -> None:
            async with db.transaction():
                await cards.update_one({"_id": f"c-{i % N:08d}"}, {"$set": {"segment": "chatty"}})
                await db.collection("processed_events").insert_one({"_id": f"e-{i}"})
        print(f"event transaction   {per_op_us(await timed(5000, one_event))}  "
              "(state change + processed record, one journal line)")
        started = time.perf_counter()
        await db.durable()
        print(f"fsync of the journal {1e3 * (time.perf_counter() - started):.1f} ms")

        fastpath.uninstall()
        scan = await timed(20, lambda i: cards.find_one({"_id": f"c-{i:08d}"}))
        fastpath.install()
        print(f"find_one by _id without the fast path (mongomock's scan): {per_op_us(scan)}")
        await db.close()
        started = time.perf_counter()
        MemoryDatabase("bench", Path(directory))
        print(f"restart: replayed {N:,} documents in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    asyncio.run(main())
