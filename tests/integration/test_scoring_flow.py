"""Scoring from outside: registrations and behaviour the suite never saw, over Kafka and HTTP."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration

_rng = random.Random()


def phone() -> str:
    return f"+7916{_rng.randrange(10**7):07d}"


def registration(**fields: Any) -> dict[str, Any]:
    customer_id = f"sc-{uuid.uuid4().hex[:10]}"
    return {
        "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
        "customer_id": customer_id, "phone": phone(), "country": "RU",
        "person_type": "individual", "category": "ordinary", "entered_by": "self",
    } | fields


async def register(suite: Suite, *events: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Produce registrations and return their scored events by customer id."""
    for event in events:
        await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(event).encode(),
                            event["customer_id"].encode())
    wanted = {event["customer_id"] for event in events}
    records = await suite.read(
        topics.CUSTOMER_SCORED,
        until=lambda rs: wanted <= {v["customer_id"] for v in values(rs)},
    )
    found = {v["customer_id"]: v for v in values(records) if v["customer_id"] in wanted}
    assert set(found) == wanted, suite.tail()
    return found


def codes(scored: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in scored["reasons"]]


async def test_famous_names_in_either_script_land_in_high_with_irreversible_payment(
    suite: Suite,
) -> None:
    cyrillic = registration(full_name="Александр Пушкин", ip="77.88.8.8")
    latin = registration(full_name="Alexander Pushkin", ip="5.45.207.1",
                         card_holder_name="IVAN PETROV", email="ap1799@gmail.com")
    scored = await register(suite, cyrillic, latin)
    for event in (cyrillic, latin):
        decision = scored[event["customer_id"]]
        assert decision["band"] == "high"
        assert decision["payment_policy"] == "irreversible_only"
        assert codes(decision)[0] == "famous_name"
        assert "famous writer" in decision["reasons"][0]["detail"]


async def test_foreign_ip_and_another_card_holder_land_in_high(suite: Suite) -> None:
    event = registration(full_name="Ольга Кузнецова", ip="8.8.8.8",
                         card_holder_name="JOHN SMITH", email="olga.k@mail.ru")
    decision = (await register(suite, event))[event["customer_id"]]
    assert decision["band"] == "high"
    assert decision["payment_policy"] == "irreversible_only"
    assert {"ip_country_mismatch", "card_holder_mismatch"} <= set(codes(decision))


async def test_complete_consistent_russian_registration_lands_in_low(suite: Suite) -> None:
    event = registration(full_name="Екатерина Соколова", ip="77.88.55.242",
                         card_holder_name="EKATERINA SOKOLOVA",
                         email="ekaterina.sokolova@yandex.ru", source="friend", language="ru")
    decision = (await register(suite, event))[event["customer_id"]]
    assert decision["band"] == "low"
    assert decision["payment_policy"] == "any"
    assert {"ip_country_match", "card_holder_match"} <= set(codes(decision))


async def test_company_with_a_corporate_email_is_recognised_and_prepays(suite: Suite) -> None:
    event = registration(full_name="Romashka Trading LLC", person_type="company",
                         ip="95.108.213.1", email="buh@romashka-trade.ru", source="search",
                         language="ru")
    decision = (await register(suite, event))[event["customer_id"]]
    assert decision["payment_policy"] == "prepaid_only"
    assert "company_verified" in codes(decision)
    segmented = await suite.read(
        topics.CUSTOMER_SEGMENTED,
        until=lambda rs: any(v["customer_id"] == event["customer_id"] for v in values(rs)),
    )
    [segment] = [v for v in values(segmented) if v["customer_id"] == event["customer_id"]]
    assert segment["segment"] == "company"


async def test_a_minimal_ooo_with_a_corporate_email_is_a_company_and_not_high(
    suite: Suite,
) -> None:
    event = registration(full_name="ООО «Северная Логистика»", email="info@sev-logistika.ru")
    decision = (await register(suite, event))[event["customer_id"]]
    assert decision["band"] != "high"
    assert decision["payment_policy"] == "prepaid_only"
    assert "company_detected" in codes(decision)
    assert "keyboard_mash_name" not in codes(decision)
    segmented = await suite.read(
        topics.CUSTOMER_SEGMENTED,
        until=lambda rs: any(v["customer_id"] == event["customer_id"] for v in values(rs)),
    )
    assert [v["segment"] for v in values(segmented)
            if v["customer_id"] == event["customer_id"]] == ["company"]


async def test_the_scores_api_shows_the_decision_and_replays_it(suite: Suite) -> None:
    event = registration(full_name="Дмитрий Медведев", ip="8.8.8.8")
    scored = (await register(suite, event))[event["customer_id"]]
    async with suite.client("scoring", role="operator") as client:
        shown = await eventually(
            lambda: _get_json(client, f"/api/scores/{event['customer_id']}"),
            what="the stored score")
        explained = await _get_json(client, f"/api/scores/{event['customer_id']}/explain")
        inline = await _get_json(client, f"/api/scores/{event['customer_id']}?explain=true")
        unknown = await client.get("/api/scores/nobody-like-this")
    async with suite.client("scoring", role="analyst") as client:
        for_analyst = await _get_json(client, f"/api/scores/{event['customer_id']}")
    assert shown["score"] == scored["score"] and shown["band"] == "high"
    assert shown["reasons"] == scored["reasons"]
    assert [r["code"] for r in for_analyst["reasons"]] == [r["code"] for r in scored["reasons"]]
    famous = shown["signals"]["famous_name"]  # what operators see; analysts do not
    assert famous and famous not in json.dumps(for_analyst, ensure_ascii=False)
    assert for_analyst["score"] == scored["score"]
    assert shown["model_version"] == scored["model_version"]
    assert shown["signals"]["ip_country"] == "US"
    assert event["phone"] not in json.dumps(shown) and "8.8.8.8" not in json.dumps(shown)
    assert explained["same_decision"] is True == inline["same_decision"]
    assert explained["replayed"]["score"] == scored["score"]
    assert unknown.status_code == 404


async def test_the_scores_api_needs_a_token(suite: Suite) -> None:
    async with suite.client("scoring", role=None) as client:
        response = await client.get("/api/scores/anyone")
    assert response.status_code == 401


async def test_risk_reasons_reach_the_caller_card_of_a_registry_registration(
    suite: Suite,
) -> None:
    number = phone()
    async with suite.client("registry") as client:
        created = await client.post("/api/customers", json={
            "full_name": "Dmitry Medvedev", "phone": number, "country": "RU",
            "person_type": "individual", "category": "ordinary"})
        assert created.status_code == 201, created.text

        async def card_with_risk() -> dict[str, Any] | None:
            response = await client.get(f"/api/callers/{number}")
            card = response.json() if response.status_code == 200 else None
            return card if card and card.get("risk") else None

        card = await eventually(card_with_risk, what="the risk on the caller card")
    assert card["risk"]["band"] == "high"
    assert card["risk"]["payment_policy"] == "irreversible_only"
    assert "famous_name" in [reason["code"] for reason in card["risk"]["reasons"]]


async def test_many_questions_and_no_purchase_are_segmented_as_time_waster(suite: Suite) -> None:
    customer_id = f"talker-{uuid.uuid4().hex[:8]}"
    for _ in range(4):
        interaction = {
            "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
            "interaction_id": uuid.uuid4().hex, "customer_id": customer_id, "channel": "call",
            "duration_s": 900, "questions": 5, "outcome": "no_purchase",
        }
        await suite.produce(topics.INTERACTION_LOGGED, json.dumps(interaction).encode(),
                            customer_id.encode())
    records = await suite.read(
        topics.CUSTOMER_SEGMENTED,
        until=lambda rs: any(v["customer_id"] == customer_id for v in values(rs)),
    )
    mine = [v for v in values(records) if v["customer_id"] == customer_id]
    assert [v["segment"] for v in mine] == ["time_waster"]
    # The third long call full of questions crosses the rules' thresholds.
    assert mine[0]["evidence"]["avg_duration_s"] == 900.0
    assert (mine[0]["evidence"]["interactions"], mine[0]["evidence"]["questions"]) == (3, 15)
    assert mine[0]["evidence"]["purchases"] == 0


async def _get_json(client: Any, path: str) -> Any:
    response = await client.get(path)
    return response.json() if response.status_code == 200 else None
