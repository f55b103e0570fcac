"""Loyalty across processes: registrations and purchase streams in, balances, tiers and
analytics out, checked against a recomputation from the input."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.loyalty.domain import load_rules
from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration
DATABASES = ("memory", "mongodb")  # the production path (a MongoDB server) too

RULES = load_rules()
CATEGORIES = ("ordinary", "vip", "employee")


@dataclass
class Expected:
    """What the input says each customer should have: recomputed here, not by the service."""

    card: dict[str, str] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    months: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))
    lifetime: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    applied: int = 0
    duplicate_of: str = ""

    def apply(self, customer_id: str, event: dict[str, Any],
              original_points: int | None = None) -> int:
        amount = Decimal(event["amount"])
        rule = RULES.currencies[event["currency"]]
        if original_points is not None:  # a full refund naming its purchase: exact clawback
            points = -original_points
        else:
            multiplier = RULES.category_multipliers.get(self.category[customer_id], Decimal(1))
            if event["discounted"]:
                multiplier *= RULES.promotion_multiplier
            points = int((amount / rule.spend_per_point * multiplier)
                         .to_integral_value(rounding=ROUND_FLOOR))
        value = RULES.exchange.to_value(  # at the rate of the purchase's own date
            amount, event["currency"], datetime.fromisoformat(event["occurred_at"]))
        self.points[customer_id] += points
        self.months[customer_id][event["occurred_at"][:7]] += value
        self.lifetime[customer_id] += value
        self.applied += 1
        return points


async def register(suite: Suite, expected: Expected, n: int, rng: random.Random) -> None:
    """Through registry's HTTP API when it takes card numbers, else as events to Kafka."""
    async with suite.client("registry") as registry:
        for i in range(n):
            category, card = rng.choice(CATEGORIES), f"card-{uuid.uuid4().hex[:10]}"
            body = {"full_name": f"Customer Number{i}", "phone": f"+7901{i:07d}",
                    "country": "RU", "category": category, "card_number": card}
            response = await registry.post("/api/customers", json=body)
            if response.status_code == 201:
                customer_id = response.json()["customer_id"]
            else:  # this registry refuses card_number: publish what a POS system would
                assert response.status_code == 422, response.text
                customer_id = f"c-{uuid.uuid4().hex[:12]}"
                event = body | {"event_id": str(uuid.uuid4()), "customer_id": customer_id,
                                "person_type": "individual", "entered_by": "operator"}
                await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(event).encode(),
                                    customer_id.encode())
            expected.card[customer_id], expected.category[customer_id] = card, category


def purchase(customer_id: str, rng: random.Random, now: datetime) -> dict[str, Any]:
    currency = rng.choice(("RUB", "RUB", "RUB", "USD"))
    amount = Decimal(rng.randint(100, 2_000_000)) / 100 if currency == "RUB" else Decimal(
        rng.randint(100, 30_000)) / 100
    at = now - timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1440))
    return {"event_id": str(uuid.uuid4()), "occurred_at": at.isoformat(),
            "purchase_id": f"p-{uuid.uuid4().hex}", "customer_id": customer_id,
            "amount": str(amount), "currency": currency, "discounted": rng.random() < 0.3,
            "payment_method": "card"}


@pytest.fixture(scope="module")
async def streamed(suite: Suite) -> Expected:
    rng, now, expected = random.Random(7), datetime.now(UTC), Expected()
    await register(suite, expected, 25, rng)
    async with suite.client("loyalty") as loyalty:
        for card in expected.card.values():
            await eventually(lambda c=card: _found(loyalty, c), what="a registered card")
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap)
    await producer.start()
    try:
        earned: dict[str, tuple[str, dict[str, Any], int]] = {}
        for _ in range(300):
            customer_id = rng.choice(list(expected.card))
            event = purchase(customer_id, rng, now)
            earned[event["purchase_id"]] = (customer_id, event, expected.apply(customer_id, event))
            await producer.send(topics.PURCHASE_RECORDED, json.dumps(event).encode(),
                                key=customer_id.encode())
        for purchase_id in rng.sample(sorted(earned), 5):
            customer_id, original, points = earned[purchase_id]
            refund = original | {"event_id": str(uuid.uuid4()), "purchase_id": f"r-{purchase_id}",
                                 "amount": str(-Decimal(original["amount"])),
                                 "refund_of": purchase_id}
            expected.apply(customer_id, refund, original_points=points)
            await producer.send(topics.PURCHASE_RECORDED, json.dumps(refund).encode(),
                                key=customer_id.encode())
        customer_id, original, _ = earned[sorted(earned)[0]]
        duplicate = original | {"event_id": str(uuid.uuid4())}  # same purchase, new event id
        expected.duplicate_of = original["purchase_id"]
        await producer.send_and_wait(topics.PURCHASE_RECORDED, json.dumps(duplicate).encode(),
                                     key=customer_id.encode())
    finally:
        await producer.stop()
    await suite.read(topics.LOYALTY_UPDATED, timeout_s=60,
                     until=lambda rs: len(ours(rs, expected)) >= expected.applied)
    return expected


async def _found(client: Any, card: str) -> bool:
    return (await client.get(f"/api/loyalty/cards/{card}")).status_code == 200


def ours(records: list[Any], expected: Expected) -> list[dict[str, Any]]:
    return [v for v in values(records) if v.get("customer_id") in expected.card]


async def test_balances_and_values_equal_a_recomputation_from_the_input(
    suite: Suite, streamed: Expected,
) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    async with suite.client("loyalty", role="operator") as loyalty:
        for customer_id, card in streamed.card.items():
            response = await loyalty.get(f"/api/loyalty/cards/{card}")
            assert response.status_code == 200, response.text
            shown = response.json()
            months = streamed.months[customer_id]
            assert shown["customer_id"] == customer_id
            assert shown["points_balance"] == streamed.points[customer_id]
            assert Decimal(shown["value_lifetime"]) == streamed.lifetime[customer_id]
            assert Decimal(shown["value_month"]) == months.get(month, Decimal(0))
            assert Decimal(shown["value_year"]) == sum(
                (v for k, v in months.items() if k[:4] == month[:4]), Decimal(0))


async def test_every_purchase_is_announced_once_on_loyalty_updated(
    suite: Suite, streamed: Expected,
) -> None:
    records = await suite.read(topics.LOYALTY_UPDATED, until=lambda rs: False, timeout_s=2)
    announced = ours(records, streamed)
    assert len(announced) == streamed.applied  # the duplicate announced nothing
    assert len({v["event_id"] for v in announced}) == len(announced)
    last = {v["customer_id"]: v for v in announced}
    for customer_id, update in last.items():
        assert update["points_balance"] == streamed.points[customer_id]
        assert Decimal(update["value_lifetime"]) == streamed.lifetime[customer_id]


async def test_a_duplicate_purchase_sent_again_later_changes_nothing(
    suite: Suite, streamed: Expected,
) -> None:
    async with suite.client("loyalty", role="analyst") as loyalty:
        before = {c: (await loyalty.get(f"/api/loyalty/cards/{c}")).json()
                  for c in streamed.card.values()}
        records = await suite.read(topics.PURCHASE_RECORDED, until=lambda rs: False,
                                   timeout_s=2)
        original = next(v for v in values(records)
                        if v.get("purchase_id") == streamed.duplicate_of)
        again = original | {"event_id": str(uuid.uuid4())}
        await suite.produce(topics.PURCHASE_RECORDED, json.dumps(again).encode(),
                            original["customer_id"].encode())
        marker = purchase(original["customer_id"], random.Random(1), datetime.now(UTC))
        await suite.produce(topics.PURCHASE_RECORDED, json.dumps(marker).encode(),
                            original["customer_id"].encode())
        # Same key, same partition: once the marker is applied, the duplicate was seen.
        card = streamed.card[original["customer_id"]]
        await eventually(lambda: _changed(loyalty, card, before[card]), what="the marker")
        after = {c: (await loyalty.get(f"/api/loyalty/cards/{c}")).json()
                 for c in streamed.card.values()}
    customer_id = original["customer_id"]
    streamed.apply(customer_id, marker)  # the marker is the only change the input allows
    assert after[card]["points_balance"] == streamed.points[customer_id]
    assert Decimal(after[card]["value_lifetime"]) == streamed.lifetime[customer_id]
    assert {c: v for c, v in after.items() if c != card} == {
        c: v for c, v in before.items() if c != card}


async def _changed(client: Any, card: str, before: dict[str, Any]) -> bool:
    return (await client.get(f"/api/loyalty/cards/{card}")).json() != before


async def test_the_gold_list_is_exactly_the_top_fifth_after_the_tier_job(
    suite: Suite, streamed: Expected,
) -> None:
    now = datetime.now(UTC)
    async with suite.client("loyalty", role="admin") as admin:
        ran = await admin.post("/api/loyalty/jobs/tiers/run", params={"now": now.isoformat()})
        assert ran.status_code == 200, ran.text
        gold = (await admin.get("/api/analytics/gold")).json()
    months = now.year * 12 + now.month - 1
    window = {f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(months - 11, months + 1)}
    trailing = {c: sum((v for k, v in m.items() if k in window), Decimal(0))
                for c, m in streamed.months.items()}
    ranked = sorted((v, c) for c, v in trailing.items() if v > 0)[::-1]
    top = -(-RULES.gold_percent * len(ranked) // 100)
    assert {c["customer_id"] for c in gold["customers"]} == {c for _, c in ranked[:top]}
    assert Decimal(gold["gold_threshold"]) == ranked[top - 1][0]
    assert gold["population"] == len(ranked)


async def test_profitability_by_category_sums_to_total_revenue(
    suite: Suite, streamed: Expected,
) -> None:
    async with suite.client("loyalty", role="analyst") as analyst:
        report = (await analyst.get("/api/analytics/profitability",
                                    params={"by": "category"})).json()
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for customer_id, value in streamed.lifetime.items():
        by_category[streamed.category[customer_id]] += value
    assert Decimal(report["total_revenue"]) == sum(streamed.lifetime.values(), Decimal(0))
    assert sum(Decimal(g["revenue"]) for g in report["groups"]) == Decimal(
        report["total_revenue"])
    assert {g["group"]: Decimal(g["revenue"]) for g in report["groups"]} == by_category
    assert sum(Decimal(g["share"]) for g in report["groups"]) == 1


async def test_analytics_need_an_analyst_and_a_known_grouping(suite: Suite) -> None:
    async with suite.client("loyalty", role="operator") as operator:
        assert (await operator.get("/api/analytics/gold")).status_code == 403
        assert (await operator.post("/api/loyalty/jobs/lapse/run")).status_code == 403
    async with suite.client("loyalty", role="analyst") as analyst:
        wrong = await analyst.get("/api/analytics/profitability", params={"by": "phone"})
        assert wrong.status_code == 422


async def test_a_purchase_in_a_currency_the_suite_cannot_value_is_dead_lettered(
    suite: Suite,
) -> None:
    # BRL is a currency of the contract, but shared/currencies.yaml has no rate for it.
    event = purchase("c-unknown-currency", random.Random(3), datetime.now(UTC)) | {
        "currency": "BRL"}
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(event).encode(), b"c-x")
    dead = await suite.read(topics.dlq(topics.PURCHASE_RECORDED), until=lambda rs: any(
        json.loads(r.value).get("purchase_id") == event["purchase_id"]
        and dict(r.headers)["crm-dlq-consumer"] == b"loyalty" for r in rs))
    reasons = [dict(r.headers) for r in dead
               if json.loads(r.value).get("purchase_id") == event["purchase_id"]]
    assert any(h["crm-dlq-consumer"] == b"loyalty" and b"BRL" in h["crm-dlq-reason"]
               for h in reasons)


def interaction(customer_id: str, at: datetime) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": at.isoformat(),
            "interaction_id": f"i-{uuid.uuid4().hex[:12]}", "customer_id": customer_id,
            "channel": "call", "outcome": "info"}


async def test_a_customer_who_only_calls_lapses_and_the_event_says_why(suite: Suite) -> None:
    now, tag = datetime.now(UTC), uuid.uuid4().hex[:8]
    caller, quiet = f"c-calls-{tag}", f"c-quiet-{tag}"  # neither ever bought
    for customer_id, days_ago in ((caller, 200), (caller, 1), (quiet, 200)):
        await suite.produce(topics.INTERACTION_LOGGED, json.dumps(interaction(
            customer_id, now - timedelta(days=days_ago))).encode(), customer_id.encode())

    async def lapsed_both(admin: Any) -> bool:
        ran = await admin.post("/api/loyalty/jobs/lapse/run")
        assert ran.status_code == 200, ran.text
        report = (await admin.get("/api/analytics/lapsed")).json()
        return {caller, quiet} <= {c["customer_id"] for c in report["customers"]}

    async with suite.client("loyalty", role="admin") as admin:
        await eventually(lambda: lapsed_both(admin), what="both callers lapsed")
    records = await suite.read(topics.CUSTOMER_LAPSED, until=lambda rs: {caller, quiet} <= {
        v.get("customer_id") for v in values(rs)})
    lapsed = [v for v in values(records) if v.get("customer_id") in (caller, quiet)]
    assert sorted((v["customer_id"], v["reason"], v["never_bought"]) for v in lapsed) == [
        (caller, "no_purchase", True), (quiet, "no_contact", True)]


async def _balance(client: Any, card: str, points: int) -> bool:
    response = await client.get(f"/api/loyalty/cards/{card}")
    return response.status_code == 200 and response.json()["points_balance"] == points


async def _customer_with_500_points(suite: Suite, tag: str,
                                    phone: str = "+79017770000") -> tuple[str, str]:
    customer_id, card = f"c-redeem-{tag}", f"card-redeem-{tag}"
    registered = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                  "customer_id": customer_id,
                  "full_name": "Redeeming Customer", "phone": phone, "country": "RU",
                  "person_type": "individual", "category": "ordinary",
                  "entered_by": "operator", "card_number": card}
    await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(registered).encode(),
                        customer_id.encode())
    bought = purchase(customer_id, random.Random(5), datetime.now(UTC)) | {
        "amount": "50000.00", "currency": "RUB", "discounted": False,  # 100 RUB a point
        "occurred_at": datetime.now(UTC).isoformat()}
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(bought).encode(),
                        customer_id.encode())
    async with suite.client("loyalty", role="analyst") as analyst:
        await eventually(lambda: _balance(analyst, card, 500), what="500 points")
    return customer_id, card


async def test_redeeming_points_done_when(suite: Suite) -> None:
    """The issue's Done-when: 500 points, redeem 200 -> 300; the same id again leaves 300;
    1,000 -> 409; bad inputs 422/404/409; crm.points.redeemed.v1 published once."""
    tag = uuid.uuid4().hex[:8]
    customer_id, card = await _customer_with_500_points(suite, tag)
    body = {"redemption_id": f"rd-{tag}", "customer_id": customer_id, "points": 200}
    async with suite.client("loyalty", role="operator") as operator:
        first = await operator.post("/api/loyalty/redemptions", json=body)
        assert first.status_code == 201, first.text
        assert first.json() == body | {"points_balance": 300}
        again = await operator.post("/api/loyalty/redemptions", json=body)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        too_much = await operator.post("/api/loyalty/redemptions", json=body | {
            "redemption_id": f"rd-big-{tag}", "points": 1000})
        assert too_much.status_code == 409
        assert "300" in too_much.json()["detail"]
        for points in (0, -5, 2.5, "ten"):
            bad = await operator.post("/api/loyalty/redemptions", json=body | {
                "redemption_id": f"rd-bad-{tag}", "points": points})
            assert bad.status_code == 422, (points, bad.text)
        unknown = await operator.post("/api/loyalty/redemptions", json=body | {
            "redemption_id": f"rd-unknown-{tag}", "customer_id": f"c-nobody-{tag}"})
        assert unknown.status_code == 404
        other = await operator.post("/api/loyalty/redemptions", json=body | {"points": 100})
        assert other.status_code == 409
        shown = (await operator.get(f"/api/loyalty/cards/{card}")).json()
    assert shown["points_balance"] == 300
    assert [r["redemption_id"] for r in shown["redemptions"]] == [body["redemption_id"]]
    async with suite.client("loyalty", role="analyst") as analyst:
        refused = await analyst.post("/api/loyalty/redemptions", json=body)
        assert refused.status_code == 403

    def redeemed(records: list[Any]) -> list[dict[str, Any]]:
        return [v for v in values(records) if v.get("customer_id") == customer_id]

    records = await suite.read(topics.POINTS_REDEEMED, until=lambda rs: False, timeout_s=3)
    assert [(v["redemption_id"], v["points"], v["points_balance"])
            for v in redeemed(records)] == [(body["redemption_id"], 200, 300)]
    updates = await suite.read(topics.LOYALTY_UPDATED, until=lambda rs: any(
        v.get("points_delta") == -200 for v in redeemed(rs)))
    assert [v["points_balance"] for v in redeemed(updates) if v["points_delta"] < 0] == [300]


async def test_the_panel_redeems_through_registry_and_the_caller_card_follows(
    suite: Suite,
) -> None:
    """Registry forwards the panel's redemption to loyalty with the person's token; the
    answers pass through unchanged, and the caller card shows the balance after."""
    tag = uuid.uuid4().hex[:8]
    phone = f"+7901{random.randrange(10**7):07d}"
    customer_id, _ = await _customer_with_500_points(suite, tag, phone)
    body = {"redemption_id": f"rd-panel-{tag}", "customer_id": customer_id, "points": 150}
    async with suite.client("registry", role="operator") as registry:
        first = await registry.post("/api/loyalty/redemptions", json=body)
        again = await registry.post("/api/loyalty/redemptions", json=body)
        short = await registry.post("/api/loyalty/redemptions",
                                    json=body | {"redemption_id": f"rd-short-{tag}",
                                                 "points": 5000})
        bad = await registry.post("/api/loyalty/redemptions", json=body | {"points": 0})

        async def card_balance() -> int | None:
            card = (await registry.post("/api/callers/lookup", json={"phone": phone})).json()
            balance = card.get("loyalty", {}).get("points_balance")
            return balance if balance == 350 else None

        assert await eventually(card_balance, what="the redemption on the caller card") == 350
    async with suite.client("registry", role="analyst") as analyst:
        refused = await analyst.post("/api/loyalty/redemptions", json=body)
    async with suite.client("registry", role=None) as anonymous:
        unsigned = await anonymous.post("/api/loyalty/redemptions", json=body)
    assert first.status_code == 201, first.text
    assert first.json() == body | {"points_balance": 350}
    assert (again.status_code, again.json()) == (200, first.json())
    assert short.status_code == 409 and "350" in short.json()["detail"]
    assert bad.status_code == 422
    assert (refused.status_code, unsigned.status_code) == (403, 401)


async def test_two_redemptions_at_once_never_take_the_balance_below_zero(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:8]
    customer_id, card = await _customer_with_500_points(suite, tag)
    async with suite.client("loyalty", role="operator") as a, \
            suite.client("loyalty", role="operator") as b:
        answers = await asyncio.gather(*(
            client.post("/api/loyalty/redemptions", json={
                "redemption_id": f"rd-{n}-{tag}", "customer_id": customer_id, "points": 300})
            for n, client in enumerate((a, b))))
        assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
        shown = (await a.get(f"/api/loyalty/cards/{card}")).json()
    assert shown["points_balance"] == 200


async def test_a_refund_gives_back_the_points_redeemed_for_the_purchase_once(
    suite: Suite,
) -> None:
    tag = uuid.uuid4().hex[:8]
    customer_id, card = await _customer_with_500_points(suite, tag)
    paid = purchase(customer_id, random.Random(6), datetime.now(UTC)) | {
        "amount": "10000.00", "currency": "RUB", "discounted": False,  # 100 points
        "occurred_at": datetime.now(UTC).isoformat()}
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(paid).encode(),
                        customer_id.encode())
    async with suite.client("loyalty", role="operator") as operator:
        await eventually(lambda: _balance(operator, card, 600), what="600 points")
        redeemed = await operator.post("/api/loyalty/redemptions", json={
            "redemption_id": f"rd-{tag}", "customer_id": customer_id, "points": 200,
            "purchase_id": paid["purchase_id"]})
        assert redeemed.status_code == 201, redeemed.text
        refund = paid | {"event_id": str(uuid.uuid4()), "purchase_id": f"refund-{tag}",
                         "amount": "-10000.00", "refund_of": paid["purchase_id"]}
        for _ in range(2):  # redelivered: counted once
            await suite.produce(topics.PURCHASE_RECORDED, json.dumps(refund).encode(),
                                customer_id.encode())
        # 400, less the 100 points the purchase earned, plus the 200 redeemed for it
        await eventually(lambda: _balance(operator, card, 500), what="the points back")
        marker = purchase(customer_id, random.Random(8), datetime.now(UTC)) | {
            "amount": "100.00", "currency": "RUB", "discounted": False,
            "occurred_at": datetime.now(UTC).isoformat()}  # 1 point, after the duplicate
        await suite.produce(topics.PURCHASE_RECORDED, json.dumps(marker).encode(),
                            customer_id.encode())
        await eventually(lambda: _balance(operator, card, 501), what="the marker")
        shown = (await operator.get(f"/api/loyalty/cards/{card}")).json()
    assert [(r["redemption_id"], r.get("reversed")) for r in shown["redemptions"]] == [
        (f"rd-{tag}", True)]
