"""Purchases streamed straight onto the topic while faults strike, and the recomputation every
balance must equal afterwards: shared by the purchase fault tests."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared.contracts import topics
from shared.runtime.harness import Suite, eventually


def event(body: dict[str, object]) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()),
                       "occurred_at": "2026-11-23T09:15:00Z", **body}).encode()


@dataclass
class Expected:
    """What was sent, per customer: what a recomputation from the input gives."""

    cards: dict[str, str]  # customer_id -> loyalty card number
    value: dict[str, Decimal] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.value = dict.fromkeys(self.cards, Decimal(0))
        self.count = dict.fromkeys(self.cards, 0)


async def register(producer: AIOKafkaProducer, cards: dict[str, str], name: str,
                   phone_prefix: str) -> None:
    """One registration per customer, with a phone of ``phone_prefix`` and its number."""
    for n, (customer_id, card) in enumerate(cards.items()):
        await producer.send(topics.CUSTOMER_REGISTERED, event({
            "customer_id": customer_id, "full_name": f"{name} {n}",
            "phone": f"{phone_prefix}{n:03d}", "country": "RU", "language": "ru",
            "person_type": "individual", "category": "ordinary", "card_number": card,
            "entered_by": "operator"}), key=customer_id.encode())
    await producer.flush()


async def stream_purchases(producer: AIOKafkaProducer, expected: Expected, count: int,
                           rng: random.Random, faults: dict[int, Callable[[], Awaitable[Any]]],
                           duplicates: int, discounted_share: float = 0.0) -> None:
    """``count`` purchases of random customers and amounts, each fault struck after its
    purchase number, then ``duplicates`` of them sent again (a producer that retried)."""
    sent: list[tuple[bytes, bytes]] = []
    customers = list(expected.cards)
    for n in range(count):
        customer_id = rng.choice(customers)
        amount = Decimal(rng.randint(100, 500_000)) / 100
        expected.value[customer_id] += amount
        expected.count[customer_id] += 1
        record = (customer_id.encode(), event({
            "purchase_id": f"{customer_id}-{n:05d}", "customer_id": customer_id,
            "amount": str(amount), "currency": "RUB",
            "discounted": rng.random() < discounted_share,
            "payment_method": "card", "employee_id": f"e-{n % 7}"}))
        sent.append(record)
        await producer.send(topics.PURCHASE_RECORDED, record[1], key=record[0])
        if n in faults:
            await producer.flush()
            await faults[n]()
        if n % 100 == 0:
            await producer.flush()
            await asyncio.sleep(0.05)
    for key, value in rng.sample(sent, duplicates):
        await producer.send(topics.PURCHASE_RECORDED, value, key=key)
    await producer.flush()


@dataclass
class Redemptions:
    """Points spent through loyalty's API while purchases stream and faults strike.

    Each redemption keeps its id until loyalty answers (connection refused while loyalty is
    killed, 503 during an outage: the same id again), as the panel does; ``accepted`` is what
    loyalty took (201, or 200 for a repeat of one it had taken), ``refused`` what it did not
    (409 short balance, 404 not registered yet).
    """

    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> customer, points
    refused: Counter[int] = field(default_factory=Counter)  # status -> how many
    retries: int = 0
    repeats_answered_200: int = 0

    def points(self, customer_id: str) -> int:
        return sum(points for owner, points in self.accepted.values() if owner == customer_id)

    async def run(self, suite: Suite, customers: list[str], rng: random.Random, run: str,
                  stop: asyncio.Event, every_s: float = 0.05) -> None:
        async with suite.client("loyalty", role="operator") as client:
            n = 0
            while not stop.is_set():
                n += 1
                await self.redeem(client, {"redemption_id": f"rd-{run}-{n:04d}",
                                           "customer_id": rng.choice(customers),
                                           "points": rng.randint(1, 60)})
                await asyncio.sleep(every_s)

    async def redeem(self, client: httpx.AsyncClient, body: dict[str, Any],
                     patience_s: float = 240) -> None:
        deadline = asyncio.get_running_loop().time() + patience_s
        tries = 0
        while True:
            tries += 1
            try:
                answer = await client.post("/api/loyalty/redemptions", json=body)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code < 500:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"loyalty answered no redemption for {patience_s} s")
            self.retries += 1
            await asyncio.sleep(0.5)
        if answer.status_code in (200, 201):
            assert answer.json()["points_balance"] >= 0, answer.text
            self.accepted[body["redemption_id"]] = (body["customer_id"], body["points"])
            self.repeats_answered_200 += answer.status_code == 200 and tries > 1
        elif answer.status_code in (404, 409):
            self.refused[answer.status_code] += 1
        else:
            raise AssertionError(f"a redemption got {answer.status_code}: {answer.text}")


async def settled_cards(suite: Suite, expected: Expected,
                        timeout_s: float) -> dict[str, dict[str, Any]]:
    """Every customer's loyalty card once its value and count equal the recomputation; on a
    timeout, the failure says which cards differ, by how many purchases, and what was
    dead-lettered (a lag, a loss and a double count look different)."""
    differing: dict[str, str] = {}
    async with suite.client("loyalty", role="analyst") as loyalty:
        async def balances_settled() -> bool:
            differing.clear()
            for customer_id, card in expected.cards.items():
                response = await loyalty.get(f"/api/loyalty/cards/{card}")
                if response.status_code != 200:
                    differing[customer_id] = f"HTTP {response.status_code}"
                    continue
                view = response.json()
                if (Decimal(view["value_lifetime"]) != expected.value[customer_id]
                        or view["purchase_count"] != expected.count[customer_id]):
                    differing[customer_id] = (
                        f"{view['purchase_count']} of {expected.count[customer_id]} purchases")
            return not differing

        try:
            await eventually(balances_settled, timeout_s=timeout_s, interval_s=1,
                             what="every balance to equal the recomputation")
        except AssertionError as timed_out:
            dead = await suite.read(topics.dlq(topics.PURCHASE_RECORDED), timeout_s=5,
                                    until=lambda records: False)
            reasons = Counter(dict(letter.headers).get("crm-dlq-reason", b"?").decode()[:160]
                              for letter in dead)
            raise AssertionError(
                f"{timed_out}; {len(differing)} of {len(expected.cards)} cards differ, e.g. "
                f"{dict(list(differing.items())[:5])}; purchases dead-lettered: "
                f"{dict(reasons) or 'none'}; the services' last warnings:\n"
                f"{warnings(suite)}") from None
        return {customer_id: (await loyalty.get(f"/api/loyalty/cards/{card}")).json()
                for customer_id, card in expected.cards.items()}


def warnings(suite: Suite, lines: int = 25) -> str:
    """The services' last warning and error lines (logs carry no personal data)."""
    kept = [line for line in suite.log_path.read_text().splitlines()
            if any(level in line for level in ("WARNING", "ERROR", "Traceback", "exited"))]
    return "\n".join(kept[-lines:]) or "(none)"
