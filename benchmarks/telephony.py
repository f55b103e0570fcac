"""The screen pop: from the PBX's ``ringing`` webhook to the event on the operator's stream,
with 100,000 customers and 200 operators connected (embedded mode). And search.

    python -m benchmarks.telephony [--customers 100000] [--operators 200] [--rings 400]

1. Fills registry's data directory with the customers (as ``benchmarks.registry`` does) and
   the operators, each with an extension (the directory's own use case, one password hash).
2. Starts registry, signs every operator in and opens their streams (200 connections).
3. Rings random extensions from random known numbers (in the notations a PBX passes on)
   and some unknown ones, at ``--rate`` per second; each ring is ended right after.
   Latency: from just before the webhook is sent to the ``call`` event read off the right
   operator's stream (p50, p99, max). Every other screen must stay silent.
4. Searches by part of a name (Latin and Cyrillic) and by phone: p50 and p99.

Prints figures only; the load generator (200 streams and the webhook client) shares the
machine's two CPUs with the service.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks import settle_load_generator
from benchmarks.registry import customer_name, load_customers, notation, phone_digits
from services.registry.api.schemas import NewOperator
from services.registry.domain.passwords import Passwords
from services.registry.handlers.operators import create_operator
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Principal, Role
from shared.database.memory import MemoryDatabase
from shared.runtime.harness import PASSWORD, TOKENS, EventStream, Suite


async def load_operators(data_dir: Path, count: int) -> None:
    db = MemoryDatabase("crm_registry", data_dir, fsync=False)
    repo = RegistryRepository(db)
    password_hash = await Passwords().hash(PASSWORD)
    admin = Principal.client(Role.ADMIN)
    now = datetime.now(UTC)
    async with db.transaction():
        for index in range(count):
            request = NewOperator(login=f"bench.op{index}", display_name=f"Operator {index}",
                                  role="operator", password=PASSWORD,
                                  extension=str(1000 + index))
            await create_operator(repo, AuditTrail(db), request.profile(), password_hash,
                                  admin, now)
    await db.durable()
    await db.close()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[max(0, int(len(ordered) * share) - 1)]


def show(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    print(f"  {label:<34} n={len(ordered):>4}  p50 {statistics.median(ordered) * 1000:6.1f} ms  "
          f"p99 {percentile(ordered, 0.99) * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms",
          flush=True)


async def sign_in_all(url: str, count: int) -> list[str]:
    tokens: list[str] = [""] * count
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def one(index: int) -> None:
            async with gate:
                response = await client.post("/api/sessions", json={
                    "login": f"bench.op{index}", "password": PASSWORD})
                response.raise_for_status()
                tokens[index] = response.json()["token"]
        await asyncio.gather(*(one(index) for index in range(count)))
    return tokens


async def ring_all(url: str, screens: list[EventStream], customers: int, rings: int,
                   rate: float, label: str) -> tuple[list[float], list[float], int]:
    rng = random.Random(label)
    known: list[float] = []
    unknown: list[float] = []
    stray = 0
    headers = {"Authorization": f"Bearer {TOKENS['telephony']}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as pbx:
        for index in range(rings):
            target = rng.randrange(len(screens))
            is_known = rng.random() < 0.8
            number = (notation(phone_digits(rng.randrange(customers)), rng) if is_known
                      else f"+4420{rng.randrange(10**8):08d}")
            call_id = f"bench-{label}-{index}"
            started = time.perf_counter()
            response = await pbx.post("/api/telephony/events", json={
                "call_id": call_id, "event": "ringing", "from": number,
                "extension": str(1000 + target)})
            response.raise_for_status()
            while True:
                data = await screens[target].next("call", 10)
                if data["call_id"] == call_id:
                    break
            arrived = screens[target].last_arrival
            (known if is_known else unknown).append(arrived - started)
            if is_known:
                assert data["card"] is not None, "a known number popped without its card"
            await pbx.post("/api/telephony/events", json={
                "call_id": call_id, "event": "ended", "from": number})
            await screens[target].next("call", 10)  # the ended message
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - started)))
    for screen in screens:
        while not screen.events.empty():
            kind, _, _ = screen.events.get_nowait()
            stray += kind == "call"
    return known, unknown, stray


async def search_figures(url: str, token: str, queries: list[str], rounds: int
                         ) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                response = await client.get("/api/customers", params={"q": query})
                response.raise_for_status()
                timings.setdefault(query, []).append(time.perf_counter() - started)
    return timings


async def main(customers: int, operators: int, rings: int, rate: float) -> None:
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start",
          flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-telephony-"))
    data_dir = workdir / "data" / "registry"
    loaded = await load_customers(data_dir, customers)
    await load_operators(data_dir, operators)
    settle_load_generator()
    print(f"{customers:,} customers and {operators} operators written in {loaded:.1f} s",
          flush=True)
    suite = Suite(workdir, services=["registry"], env={
        "CRM_LOG_LEVEL": "WARNING", "CRM_SIGN_INS_PER_MINUTE": "100000",
        "CRM_CARD_LOOKUPS_PER_MINUTE": "1000000"})
    await suite.start()
    url = suite.url("registry")
    try:
        started = time.perf_counter()
        tokens = await sign_in_all(url, operators)
        print(f"{operators} operators signed in in {time.perf_counter() - started:.1f} s",
              flush=True)
        screens = [EventStream(url, "/api/operators/me/stream", token) for token in tokens]
        for screen in screens:
            await screen.__aenter__()
            await screen.next("ready")
        print(f"{operators} streams open; ringing {rings} times at {rate:.0f}/s", flush=True)
        await ring_all(url, screens, customers, 20, rate, "warm-up")  # not reported
        known, unknown, stray = await ring_all(url, screens, customers, rings, rate, "run")
        print("ringing webhook -> call event on the operator's stream:")
        show("known number (card in the event)", known)
        show("unknown number (card null)", unknown)
        show("all rings", known + unknown)
        print(f"  call events on any other screen: {stray}", flush=True)
        for screen in screens:
            await screen.__aexit__(None, None, None)

        print(f"search with {customers:,} customers (GET /api/customers?q=):")
        queries = [customer_name(3).split()[1][:5], customer_name(7).split()[1],
                   customer_name(5), "+7" + phone_digits(12345), "Кузне", "Mohammad"]
        for query, timings in (await search_figures(url, tokens[0], queries, 5)).items():
            show(f"q={query!r}", timings)
    finally:
        await suite.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--rings", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.customers, arguments.operators, arguments.rings,
                     arguments.rate))
