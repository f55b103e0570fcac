"""The bare loop: what the embedded broker and aiokafka alone carry, the yardstick of the stages.

    python -m benchmarks.reference [--messages 50000] [--run NAME]

On the embedded broker (a Suite with no services), 50,000 JSON messages of about 150 bytes
are produced first to a 4-partition topic; then one consumer in a group reads them back
(getmany -> json.loads -> a small transform -> json.dumps -> producer.send) and commits
each batch once its sends are acknowledged, as the services' consume path does, until all
are re-produced. Events per second are timed from the first batch read (the group has
joined) to the last commit. No database, no validation, no handler: a stage's ``ratio``
is its events/s over this. Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks import record
from shared.broker import MAX_BATCH_BYTES
from shared.runtime.harness import Suite
from shared.runtime.kafka import ensure_topics

INPUT, OUTPUT = "bench.reference.in", "bench.reference.out"
PARTITIONS = 4
MAX_RECORDS = 500  # the services' consumer_max_records


def message(n: int) -> bytes:
    """About 150 bytes of JSON, shaped like a small event."""
    return json.dumps({
        "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
        "customer_id": f"c-{n:07d}", "amount": f"{n % 100_000 / 100:.2f}"}).encode()


def transform(event: dict[str, Any]) -> dict[str, Any]:
    """The stand-in for a handler: a derived field or two."""
    return {**event, "amount_minor": round(float(event["amount"]) * 100), "seen": True}


def producer(bootstrap: str) -> AIOKafkaProducer:
    # The services' producer settings (shared.broker.make_broker).
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2,
                            max_batch_size=MAX_BATCH_BYTES,
                            max_request_size=4 * MAX_BATCH_BYTES)


async def fill(bootstrap: str, count: int) -> int:
    """Produce ``count`` messages to the input topic; the bytes of one (the last)."""
    out = producer(bootstrap)
    await out.start()
    try:
        sent = []
        for n in range(count):
            body = message(n)
            sent.append(await out.send(INPUT, body, key=f"c-{n:07d}".encode()))
        await asyncio.gather(*sent)
    finally:
        await out.stop()
    return len(body)


async def loop(bootstrap: str, count: int) -> float:
    """Seconds from the first batch read to the commit of the ``count``-th re-produced."""
    consumer = AIOKafkaConsumer(INPUT, bootstrap_servers=bootstrap, group_id="bench-reference",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                fetch_max_wait_ms=50)  # as the services (Tansu waits late)
    out = producer(bootstrap)
    await consumer.start()
    await out.start()
    try:
        done, started = 0, 0.0
        while done < count:
            batch = await consumer.getmany(timeout_ms=200, max_records=MAX_RECORDS)
            if not batch:
                continue
            started = started or time.perf_counter()
            sent = [await out.send(OUTPUT, json.dumps(transform(json.loads(r.value))).encode(),
                                   key=r.key)
                    for records in batch.values() for r in records]
            await asyncio.gather(*sent)
            await consumer.commit()
            done += len(sent)
        return time.perf_counter() - started
    finally:
        await out.stop()
        await consumer.stop()


async def measure(count: int, workdir: Path) -> dict[str, float]:
    suite = Suite(workdir, services=[])
    await suite.start()
    try:
        await ensure_topics(suite.bootstrap, partitions=PARTITIONS, names=[INPUT, OUTPUT])
        print(f"reference: producing {count:,} messages to {PARTITIONS} partitions...",
              flush=True)
        size = await fill(suite.bootstrap, count)
        print("reference: consume -> parse -> transform -> produce loop (group join first)...",
              flush=True)
        elapsed = await loop(suite.bootstrap, count)
    finally:
        await suite.stop()
    return {"events_per_s": round(count / elapsed), "messages": count,
            "message_bytes": size, "seconds": round(elapsed, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--run", default="run",
                        help="the name this run is recorded under (make bench: first, last)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reference-") as workdir:
        figures = asyncio.run(measure(args.messages, Path(workdir)))
    print(f"reference (bare aiokafka loop): {figures['events_per_s']:,} events/s "
          f"({figures['messages']:,} messages of {figures['message_bytes']} bytes in "
          f"{figures['seconds']:.2f} s; load average {os.getloadavg()[0]:.1f})", flush=True)
    record("reference", {args.run: figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
