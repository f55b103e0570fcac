"""Thank-yous from outside: an operator thanks a customer from the card, notify texts them
once, loyalty credits the bonus once (a redelivered event included), and the card lists
it with who, why and what became of the SMS."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.contracts import topics
from tests.support.data import new_phone, unique
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("thanks"),
                    services=("registry", "loyalty", "notify"),
                    env={"CRM_QUIET_HOURS": "off", "CRM_THANK_YOU_MAX_BONUS": "500"})
    await running.start()
    yield running
    await running.stop()


async def _card(client: Any, phone: str) -> dict[str, Any]:
    response = await client.post("/api/callers/lookup", json={"phone": phone})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_thank_you_is_texted_once_credited_once_and_listed_on_the_card(
        suite: Suite) -> None:
    login = unique("anna")
    await suite.create_person(login, "Anna Petrova")
    token = await suite.sign_in(login)
    phone = new_phone()
    async with suite.client_with("registry", token) as operator:
        registered = await operator.post("/api/customers", json={
            "full_name": "Olga Smirnova", "phone": phone, "country": "RU", "language": "ru",
            "card_number": unique("card-")})
        assert registered.status_code == 201, registered.text
        customer_id = registered.json()["customer_id"]
        path = f"/api/customers/{customer_id}/thank-yous"
        body = {"thank_you_id": unique("ty-"), "reason": "complaint_resolved",
                "bonus_points": 100, "note": "Sorry for the late delivery"}
        first = await operator.post(path, json=body)
        again = await operator.post(path, json=body)
        reused = await operator.post(path, json=body | {"bonus_points": 200})
        too_many = await operator.post(path, json=body | {"thank_you_id": unique("ty-"),
                                                          "bonus_points": 501})
        negative = await operator.post(path, json=body | {"thank_you_id": unique("ty-"),
                                                          "bonus_points": -1})
        unknown_reason = await operator.post(path, json=body | {"thank_you_id": unique("ty-"),
                                                                "reason": "birthday"})
        nobody = await operator.post("/api/customers/c-nobody/thank-yous", json=body)
    async with suite.client("registry", role="analyst") as analyst:
        refused = await analyst.post(path, json=body)

    assert first.status_code == 202, first.text
    event = first.json()
    assert (event["thank_you_id"], event["reason"], event["bonus_points"]) == (
        body["thank_you_id"], "complaint_resolved", 100)
    assert (again.status_code, again.json()) == (202, event)
    assert reused.status_code == 409
    assert too_many.status_code == 422 and "500" in too_many.json()["detail"]["message"]
    assert (negative.status_code, unknown_reason.status_code) == (422, 422)
    assert (nobody.status_code, refused.status_code) == (404, 403)

    # The event delivered a second time (a producer's retry): credited and texted once.
    [published] = [v for v in values(await suite.read(topics.CUSTOMER_THANKED, until=lambda rs:
                   any(v["thank_you_id"] == body["thank_you_id"] for v in values(rs))))
                   if v["thank_you_id"] == body["thank_you_id"]]
    await suite.produce(topics.CUSTOMER_THANKED, json.dumps(published).encode(),
                        customer_id.encode())
    # A second thank-you after it, on the same partition: once its point is there, the
    # redelivery before it has been handled.
    async with suite.client_with("registry", token) as operator:
        marker = await operator.post(path, json={"reason": "loyal_customer", "bonus_points": 1})
        assert marker.status_code == 202, marker.text

        async def settled() -> dict[str, Any] | None:
            card = await _card(operator, phone)
            entries = {e["thank_you_id"]: e for e in card.get("thank_yous") or []}
            done = (card["loyalty"].get("points_balance") == 101
                    and entries.get(body["thank_you_id"], {}).get("sms") == "sent"
                    and entries.get(marker.json()["thank_you_id"], {}).get("sms") == "sent")
            return card if done else None

        card = await eventually(settled, timeout_s=30, what="both thank-yous on the card")

    mine = card["thank_yous"]
    assert [e["thank_you_id"] for e in mine] == [marker.json()["thank_you_id"],
                                                 body["thank_you_id"]]
    entry = mine[1]
    assert (entry["reason"], entry["bonus_points"], entry["by_name"], entry["note"],
            entry["automatic"]) == ("complaint_resolved", 100, "Anna Petrova",
                                    "Sorry for the late delivery", False)

    sent = await suite.read(topics.NOTIFICATION_SENT, timeout_s=30, until=lambda rs: any(
        v.get("thank_you_id") == marker.json()["thank_you_id"] for v in values(rs)))
    texts = [(v["thank_you_id"], v["status"], v["cause"]) for v in values(sent)
             if v["customer_id"] == customer_id and v["kind"] == "thank_you"]
    assert sorted(texts) == sorted([(body["thank_you_id"], "sent", "manual"),
                                    (marker.json()["thank_you_id"], "sent", "manual")])
    async with suite.client("notify", role="admin") as admin:
        outbox = (await admin.get("/api/outbox", params={"limit": 500})).json()["messages"]
    words = [m["text"] for m in outbox
             if m["customer_id"] == customer_id and m["kind"] == "thank_you"]
    # In the customer's language, naming the points; one message per thank-you.
    assert len(words) == 2 and any("100" in text and "терпение" in text for text in words)


async def test_an_unsigned_or_hostile_thank_you_loses_nothing(suite: Suite) -> None:
    async with suite.client("registry", role="operator") as operator:
        registered = await operator.post("/api/customers", json={
            "full_name": "Ivan Orlov", "phone": new_phone(), "country": "RU"})
        customer_id = registered.json()["customer_id"]
        path = f"/api/customers/{customer_id}/thank-yous"
        hostile = [await operator.post(path, json=body) for body in (
            {"reason": {"$ne": None}}, {"reason": "other", "bonus_points": "lots"},
            {"reason": "other", "note": "x" * 1001}, {"reason": "other", "extra": 1},
            {"reason": "other", "thank_you_id": "$where"})]
        malformed = await operator.post(path, content=b"{not json",
                                        headers={"Content-Type": "application/json"})
    async with suite.client("registry", role=None) as anonymous:
        unsigned = await anonymous.post(path, json={"reason": "other"})
    assert [r.status_code for r in hostile] == [422] * 5, [r.text for r in hostile]
    assert all(r.json().get("detail") for r in hostile)
    assert (malformed.status_code, unsigned.status_code) == (422, 401)
