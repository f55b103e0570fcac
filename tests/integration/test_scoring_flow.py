"""Scoring from outside: registrations and behaviour the suite never saw, over Kafka and HTTP."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from evaluation import scoring as evaluation
from shared.contracts import topics
from tests.support.suite import TOKENS, Suite, eventually, values

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


async def test_billing_reads_the_combined_payment_policy_on_customer_updated(
    suite: Suite,
) -> None:
    """A score publishes the risk's policy when it is not ``any``; a move to a prepayment
    category the stricter one, each with what it was combined from."""
    people = [("Alexander Pushkin", {}),
              ("Ekaterina Sokolova", {"email": "ekaterina.sokolova@yandex.ru",
                                      "source": "friend", "language": "ru"})]
    async with suite.client("registry") as client:
        ids, risk = [], []
        for name, extra in people:
            number = phone()
            created = await client.post("/api/customers", json={
                "full_name": name, "phone": number, "country": "RU",
                "person_type": "individual", "category": "ordinary", **extra})
            assert created.status_code == 201, created.text
            ids.append(created.json()["customer_id"])

            async def card_risk(number: str = number) -> str | None:
                card = (await client.get(f"/api/callers/{number}")).json()
                return (card.get("risk") or {}).get("payment_policy")

            risk.append(await eventually(card_risk, what="the score on the card"))
        moved = await client.patch(f"/api/customers/{ids[0]}", json={"category": "problematic"})
        assert moved.status_code == 200, moved.text

    def policies(records: Any) -> list[tuple[str, str, dict[str, str]]]:
        return [(v["customer_id"], v["payment_policy"], v["payment_policy_sources"])
                for v in values(records)
                if v["customer_id"] in ids and "payment_policy" in v["changed"]]

    expected = [(ids[0], "irreversible_only", {"risk": "irreversible_only", "category": "any"})]
    if risk[1] != "any":  # a customer whose score allows any payment costs billing no event
        expected.append((ids[1], risk[1], {"risk": risk[1], "category": "any"}))
    expected.append(
        (ids[0], "prepaid_only", {"risk": "irreversible_only", "category": "prepaid_only"}))
    records = await suite.read(topics.CUSTOMER_UPDATED,
                               until=lambda rs: len(policies(rs)) >= len(expected))
    assert risk[0] == "irreversible_only"
    assert sorted(policies(records)) == sorted(expected)
    assert [v["changed"] for v in values(records) if v["customer_id"] == ids[0]] == [
        ["payment_policy"], ["category", "payment_policy"]]


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


async def test_a_customer_whose_purchases_are_charged_back_is_re_scored_high_on_the_card(
    suite: Suite,
) -> None:
    number = phone()
    async with suite.client("registry") as client:
        created = await client.post("/api/customers", json={
            "full_name": "Ekaterina Sokolova", "phone": number, "country": "RU",
            "person_type": "individual", "category": "ordinary",
            "email": "ekaterina.sokolova@yandex.ru", "source": "friend", "language": "ru"})
        assert created.status_code == 201, created.text
        customer_id = created.json()["customer_id"]

        async def card_risk(band: str | None = None) -> dict[str, Any] | None:
            card = (await client.post("/api/callers/lookup", json={"phone": number})).json()
            risk = card.get("risk")
            return risk if risk and (band is None or risk["band"] == band) else None

        before = await eventually(card_risk, what="the registration's score on the card")
        for _ in range(2):
            bought = await client.post("/api/purchases", json={
                "customer_id": customer_id, "amount": "4990.00", "currency": "RUB",
                "payment_method": "card"})
            assert bought.status_code == 202, bought.text
            reversed_ = await client.post("/api/purchases", json={
                "customer_id": customer_id, "amount": "-4990.00", "currency": "RUB",
                "payment_method": "chargeback", "refund_of": bought.json()["purchase_id"]})
            assert reversed_.status_code == 202, reversed_.text
        after = await eventually(lambda: card_risk("high"), what="the card's risk to be high")
    assert before["band"] != "high"
    assert after["reasons"][0]["code"] == "chargeback"
    assert after["payment_policy"] == "irreversible_only"
    records = await suite.read(topics.CUSTOMER_SCORED, until=lambda rs: any(
        v["customer_id"] == customer_id and v["band"] == "high" for v in values(rs)))
    mine = [(v["trigger"], v["band"]) for v in values(records) if v["customer_id"] == customer_id]
    # one score at registration, then one each time the chargebacks moved the band
    assert mine[0] == ("registration", before["band"]) and mine[-1] == ("behaviour", "high")
    assert {trigger for trigger, _ in mine[1:]} == {"behaviour"}
    assert len({band for _, band in mine}) == len(mine)


async def test_an_outcome_recorded_through_the_api_appears_in_the_evaluation(
    suite: Suite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    event = registration(full_name="Alexander Pushkin", ip="8.8.8.8")
    customer_id = event["customer_id"]
    await register(suite, event)
    body = {"outcome": "fraud", "note": "the bank reversed both payments"}
    async with suite.client("scoring", role="analyst") as analyst:
        await eventually(lambda: _get_json(analyst, f"/api/scores/{customer_id}"),
                         what="the stored score")
        first = await analyst.post(f"/api/scores/{customer_id}/outcome", json=body)
        again = await analyst.post(f"/api/scores/{customer_id}/outcome", json=body)
        unknown = await analyst.post("/api/scores/nobody-at-all/outcome", json=body)
        wrong = await analyst.post(f"/api/scores/{customer_id}/outcome",
                                   json={"outcome": "maybe"})
        listed = (await analyst.get("/api/scores/outcomes")).json()
    async with suite.client("scoring", role="operator") as operator:
        refused = await operator.post(f"/api/scores/{customer_id}/outcome", json=body)
    assert first.status_code == 201, first.text
    assert (first.json()["outcome"], first.json()["band"]) == ("fraud", "high")
    assert "note" not in first.json()  # an analyst reads no free text that may name someone
    assert again.status_code == 200
    assert (unknown.status_code, wrong.status_code, refused.status_code) == (404, 422, 403)
    assert customer_id in [row["customer_id"] for row in listed["outcomes"]]
    records = await suite.read(topics.FRAUD_OUTCOME, until=lambda rs: any(
        v["customer_id"] == customer_id for v in values(rs)))
    published = [v for v in values(records) if v["customer_id"] == customer_id]
    assert [(v["outcome"], v["band"]) for v in published] == [("fraud", "high")]
    assert "note" not in published[0]

    monkeypatch.setenv("CRM_ANALYST_TOKEN", TOKENS["analyst"])
    assert evaluation.main(["--seeds", "1", "--size", "200",
                            "--outcomes-url", suite.url("scoring")]) == 0
    report = capsys.readouterr().out
    fraud = sum(row["outcome"] == "fraud" for row in listed["outcomes"])
    assert f"recorded outcomes from {suite.url('scoring')}: {len(listed['outcomes'])} " \
           f"(fraud {fraud}," in report
    assert "proposed weights" in report


def scraped(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """One metric's samples from a /metrics page, by labels."""
    from prometheus_client.parser import text_string_to_metric_families
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == name}


async def test_a_registration_moves_the_scored_counter_by_one_and_lag_is_on_metrics(
    suite: Suite,
) -> None:
    band = (("band", "high"), ("trigger", "registration"))
    async with suite.client("scoring") as scoring:
        before = scraped((await scoring.get("/metrics")).text, "crm_customers_scored_total")
        number = phone()
        async with suite.client("registry") as registry:
            created = await registry.post("/api/customers", json={
                "full_name": "Dmitry Medvedev", "phone": number, "country": "RU",
                "person_type": "individual", "category": "ordinary"})
            assert created.status_code == 201, created.text

            async def risk() -> dict[str, Any] | None:
                response = await registry.get(f"/api/callers/{number}")
                card = response.json() if response.status_code == 200 else None
                return card["risk"] if card and card.get("risk") else None

            assert (await eventually(risk, what="the risk on the card"))["band"] == "high"
        page = (await scoring.get("/metrics")).text
    after = scraped(page, "crm_customers_scored_total")
    assert after.get(band, 0) == before.get(band, 0) + 1
    assert {key: value for key, value in after.items() if key != band} == {
        key: value for key, value in before.items() if key != band}
    lag = scraped(page, "crm_consumer_lag")
    assert (("topic", topics.CUSTOMER_REGISTERED),) in lag
    assert all(value >= 0 for value in lag.values())
