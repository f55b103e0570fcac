"""A battery of hostile input over Kafka and HTTP, per kind: every item gets a dead letter
with its reason or a 4xx with a message; nothing reaches a query as an operator; the
services keep serving and the next valid event is still applied."""

import json
import uuid
from collections import Counter

import httpx
import pytest

from shared.contracts import topics
from shared.contracts.topology import CONSUMERS
from tests.support.suite import Suite, values

pytestmark = pytest.mark.integration


def purchase(**changes: object) -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T09:15:00Z",
            "purchase_id": f"h-{uuid.uuid4().hex[:8]}", "customer_id": "hostile-1",
            "amount": "10.00", "currency": "RUB", "discounted": False,
            "payment_method": "card", **changes}


def without(field: str) -> bytes:
    body = purchase()
    body.pop(field)
    return json.dumps(body).encode()


KAFKA_BATTERY: dict[str, list[bytes]] = {
    "invalid JSON": [b"{", b"not json", b'{"amount": "1",}', b"[1, 2", b"\"open string"],
    "non-UTF-8 bytes": [b"\xff\xfe\xfd", b'{"customer_id": "\xc3\x28"}', b"\x80" * 20],
    "wrong types": [json.dumps(purchase(**{k: v})).encode() for k, v in
                    [("discounted", "yes"), ("amount", 12.5), ("customer_id", 7),
                     ("currency", ["RUB"]), ("payment_method", {"a": 1})]],
    "missing fields": [without(f) for f in ("purchase_id", "customer_id", "amount",
                                            "currency", "event_id")],
    "unknown enum values": [json.dumps(purchase(currency=c)).encode()
                            for c in ("XXX", "rub1", "bitcoin")],
    "operators in strings and keys": [
        json.dumps(purchase(customer_id='{"$ne": null}')).encode(),
        json.dumps(purchase(customer_id={"$gt": ""})).encode(),
        json.dumps(purchase(purchase_id="a.b.$c")).encode(),
        json.dumps(purchase(payment_method={"$where": "sleep(1000)"})).encode()],
    "oversized": [json.dumps(purchase(channel="x" * 70_000)).encode(),
                  json.dumps(purchase(employee_id="e" * 200_000)).encode()],
    "huge numbers": [json.dumps(purchase(amount=a)).encode()
                     for a in ("1e400", "9" * 400, "-1e308", "123456789012345678.99")],
    "zero or absurd amounts": [json.dumps(purchase(amount=a)).encode()
                               for a in ("0", "0.00", "NaN", "Infinity", "-Infinity")],
}

HTTP_BATTERY: dict[str, list[tuple[str, object]]] = {
    "invalid JSON": [("raw", b"{"), ("raw", b"not json"), ("raw", b'{"full_name": }')],
    "non-UTF-8 bytes": [("raw", b'{"full_name": "\xff\xfe"}')],
    "wrong types": [("json", {"full_name": 5, "phone": "+79001112233", "country": "RU"}),
                    ("json", {"full_name": "A", "phone": ["+7900"], "country": "RU"}),
                    ("json", ["not", "an", "object"])],
    "missing fields": [("json", {"phone": "+79001112233", "country": "RU"}),
                       ("json", {"full_name": "Ann", "country": "RU"})],
    "unknown enum values": [("json", {"full_name": "Ann", "phone": "+79001112233",
                                      "country": "RU", "person_type": "robot"}),
                            ("json", {"full_name": "Ann", "phone": "+79001112233",
                                      "country": "RU", "category": "no-such-category"}),
                            ("json", {"full_name": "Ann", "phone": "+79001112233",
                                      "country": "ZZ"})],
    "operators in strings and keys": [
        ("json", {"full_name": "Ann", "phone": {"$ne": None}, "country": "RU"}),
        ("json", {"full_name": "Ann", "phone": "+79001112233", "country": "RU",
                  "$where": "1"}),
        ("json", {"full_name": "Ann", "phone": "+79001112233", "country": "RU",
                  "referred_by": {"$gt": ""}})],
    "oversized": [("raw", b'{"full_name": "' + b"x" * 200_000 + b'"}')],
    "huge numbers": [("json", {"full_name": "Ann", "phone": "9" * 400, "country": "RU"})],
    "payment card numbers": [("json", {"full_name": "Ann", "phone": "+79001112233",
                                       "country": "RU", "card_number": number})
                             for number in ("4111111111111111", "4111 1111 1111 1111",
                                            "5500-0000-0000-0004")],
}


async def test_hostile_events_are_dead_lettered_and_the_next_valid_one_applies(
    suite: Suite,
) -> None:
    sent = Counter()
    for kind, payloads in KAFKA_BATTERY.items():
        for payload in payloads:
            await suite.produce(topics.PURCHASE_RECORDED, payload, b"hostile-1")
            sent[kind] += 1
    marker = purchase(purchase_id=f"after-{uuid.uuid4().hex[:8]}", customer_id="hostile-2")
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(marker).encode(), b"hostile-2")

    consumers = [s for s in CONSUMERS[topics.PURCHASE_RECORDED] if s in suite.names]
    total = sum(sent.values())
    dead = await suite.read(topics.dlq(topics.PURCHASE_RECORDED), timeout_s=60,
                            until=lambda rs: len(rs) >= total * len(consumers))
    per_consumer = Counter(dict(r.headers)["crm-dlq-consumer"].decode() for r in dead)
    assert per_consumer == dict.fromkeys(consumers, total), per_consumer
    assert all(dict(r.headers)["crm-dlq-reason"] for r in dead)

    updates = await suite.read(topics.LOYALTY_UPDATED, until=lambda rs: any(
        v["customer_id"] == "hostile-2" for v in values(rs)))
    assert any(v["customer_id"] == "hostile-2" for v in values(updates))
    print("\nhostile events tried per kind:", dict(sent), f"x {len(consumers)} consumers")


async def test_hostile_requests_get_a_4xx_with_a_message_and_nothing_breaks(
    suite: Suite,
) -> None:
    tried = Counter()
    async with suite.client("registry") as registry:
        for kind, requests in HTTP_BATTERY.items():
            for form, body in requests:
                if form == "raw":
                    response = await registry.post(
                        "/api/customers", content=body,
                        headers={"content-type": "application/json"})
                else:
                    response = await registry.post("/api/customers", json=body)
                assert 400 <= response.status_code < 500, (kind, body, response.text)
                assert response.json()["detail"], (kind, response.text)
                tried[kind] += 1
        for path in ("/api/callers/%24ne", "/api/callers/%7B%22%24gt%22%3A%22%22%7D",
                     "/api/customers/%24where", "/api/callers/" + "9" * 300):
            response = await registry.get(path)
            assert response.status_code in (404, 422), (path, response.text)
            tried["operators in paths"] += 1
    for service in suite.names:
        async with httpx.AsyncClient(base_url=suite.url(service)) as client:
            assert (await client.get("/ready")).status_code == 200, service
    print("\nhostile requests tried per kind:", dict(tried))

