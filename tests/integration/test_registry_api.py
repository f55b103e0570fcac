"""Registry's HTTP API against the running suite: every status code, roles, categories,
and what operators post reaching the caller card and Kafka."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.contracts import topics
from tests.support.data import new_phone
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration

ROLES = (None, "operator", "analyst", "admin")


def spoken(e164: str) -> str:
    """``+79161234567`` as an operator types it: ``8 916 123-45-67``."""
    digits = e164[2:]
    return f"8 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def person(phone: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {"full_name": "Anna Petrova", "phone": phone or new_phone(), "country": "RU"} | overrides


async def register(suite: Suite, **overrides: Any) -> dict[str, Any]:
    async with suite.client("registry", role="operator") as client:
        response = await client.post("/api/customers", json=person(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def card_of(client: httpx.AsyncClient, phone: str) -> dict[str, Any] | None:
    response = await client.get(f"/api/callers/{phone}")
    return response.json() if response.status_code == 200 else None


# registration ---------------------------------------------------------------------------

async def test_registration_answers_201_with_the_customer(suite: Suite) -> None:
    phone = new_phone()
    created = await register(suite, phone=spoken(phone), email="anna@example.ru",
                             category="vip", source="friend", language="ru")
    assert created["customer_id"].startswith("c-")
    assert created["phone"] == phone
    assert (created["category"], created["entered_by"]) == ("vip", "operator")
    assert created["operator_id"] is None  # a machine client, not a person


async def test_a_registered_phone_gets_409_naming_the_customer(suite: Suite) -> None:
    phone = new_phone()
    first = await register(suite, phone=phone)
    async with suite.client("registry") as client:
        again = await client.post("/api/customers", json=person(spoken(phone)))
    assert again.status_code == 409
    assert again.json()["detail"]["customer_id"] == first["customer_id"]
    assert again.json()["detail"]["message"]


async def test_a_taken_loyalty_card_number_gets_409(suite: Suite) -> None:
    card = f"L-{uuid.uuid4().hex[:10]}"
    await register(suite, card_number=card)
    async with suite.client("registry") as client:
        again = await client.post("/api/customers", json=person(card_number=card))
    assert again.status_code == 409
    assert "card" in again.json()["detail"]["message"]


async def test_an_unknown_category_gets_422_listing_the_valid_ones(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json=person(category="platinum"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {"ordinary", "vip", "problematic", "employee"} <= set(detail["valid"])
    assert "ordinary" in detail["message"]


async def test_an_unknown_referrer_gets_422(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json=person(referred_by="c-nobody"))
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "referred_by"


@pytest.mark.parametrize(("change", "field"), [
    ({"phone": "12"}, "phone"),
    ({"phone": "8 900 123"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"country": "XX"}, "country"),
    ({"person_type": "robot"}, "person_type"),
    ({"full_name": ""}, "full_name"),
    ({"full_name": 42}, "full_name"),
    ({"is_admin": True}, "is_admin"),
    ({"entered_by": "self"}, "entered_by"),
])
async def test_invalid_registration_input_gets_422_naming_the_field(
    suite: Suite, change: dict[str, Any], field: str
) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json=person() | change)
    assert response.status_code == 422, response.text
    assert any(field in item["loc"] for item in response.json()["detail"])


@pytest.mark.parametrize("body", [b'{"full_name": "Anna", ', b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_gets_4xx(suite: Suite, body: bytes) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", content=body,
                                     headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


async def test_operator_strings_are_stored_as_data_not_queries(suite: Suite) -> None:
    created = await register(suite, full_name="$where")
    assert created["full_name"] == "$where"
    async with suite.client("registry", role="admin") as client:
        assert (await client.get("/api/customers/$ne")).status_code == 404
        assert (await client.get("/api/callers/$gt")).status_code == 422
        nested = await client.post("/api/customers", json=person(referred_by={"$ne": None}))
        assert nested.status_code == 422
        bad_slug = await client.patch("/api/categories/$set", json={"colour": "#000000"})
        assert bad_slug.status_code == 404


async def test_a_huge_payload_gets_413(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers",
                                     json=person(source="x" * 200_000))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


# customers ----------------------------------------------------------------------------------

async def test_an_unknown_customer_is_404(suite: Suite) -> None:
    async with suite.client("registry", role="analyst") as client:
        response = await client.get("/api/customers/c-nobody")
    assert response.status_code == 404
    assert response.json()["detail"]["message"]


async def test_a_category_change_publishes_customer_updated_with_only_that_field(
    suite: Suite,
) -> None:
    created = await register(suite)
    customer_id = created["customer_id"]
    async with suite.client("registry") as client:
        response = await client.patch(f"/api/customers/{customer_id}",
                                      json={"category": "problematic", "person_type": "individual"})
        assert response.status_code == 200, response.text
        assert response.json()["category"] == "problematic"
        card = await card_of(client, created["phone"])
    assert card is not None and card["payment_policy"] == "prepaid_only"

    def mine(records: list) -> list:
        return [v for v in values(records) if v.get("customer_id") == customer_id]

    def prepaid(records: list) -> bool:  # by the change, or by the score before it
        return any(v.get("payment_policy") == "prepaid_only" for v in mine(records))

    updates = mine(await suite.read(topics.CUSTOMER_UPDATED, until=prepaid))
    changes = [v for v in updates if "category" in v["changed"]]
    assert len(changes) == 1
    # the category, and with it the payment policy for billing unless a score had already
    # asked for prepayment
    assert changes[0]["changed"] in (["category"], ["category", "payment_policy"])
    assert changes[0]["category"] == "problematic"
    assert changes[0]["person_type"] is None
    assert [v["payment_policy"] for v in updates if v.get("payment_policy")][-1] == "prepaid_only"


async def test_a_change_to_an_unknown_category_gets_422(suite: Suite) -> None:
    created = await register(suite)
    async with suite.client("registry") as client:
        response = await client.patch(f"/api/customers/{created['customer_id']}",
                                      json={"category": "platinum"})
    assert response.status_code == 422
    assert "vip" in response.json()["detail"]["valid"]


async def test_patching_an_unknown_customer_is_404(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.patch("/api/customers/c-nobody", json={"category": "vip"})
    assert response.status_code == 404


# the caller card ----------------------------------------------------------------------------

async def test_the_card_is_found_from_another_notation(suite: Suite) -> None:
    phone = new_phone()
    created = await register(suite, phone=spoken(phone))
    digits = phone[2:]
    bracketed = f"+7 ({digits[:3]}) {digits[3:6]} {digits[6:8]} {digits[8:]}"
    async with suite.client("registry", role="operator") as client:
        card = await card_of(client, bracketed)
    async with suite.client("registry", role="analyst") as client:
        analysts_card = await card_of(client, bracketed)
    assert card is not None and analysts_card is not None
    assert card["customer_id"] == analysts_card["customer_id"] == created["customer_id"]
    for field in ("full_name", "category", "person_type", "segment", "risk", "loyalty",
                  "lapsed", "last_purchases", "last_interactions", "last_survey"):
        assert field in card
    assert not {"full_name", "phone", "card_number", "notes"} & set(analysts_card)
    assert created["phone"][2:] not in json.dumps(analysts_card)


async def test_the_card_speaks_the_requested_language(suite: Suite) -> None:
    created = await register(suite, category="problematic")
    async with suite.client("registry") as client:
        response = await client.get(f"/api/callers/{created['phone']}", params={"lang": "fa"})
        wrong = await client.get(f"/api/callers/{created['phone']}", params={"lang": "de"})
    assert response.json()["payment_policy_text"] == "فقط پیش‌پرداخت"
    assert wrong.status_code == 422


async def test_an_unknown_number_is_404(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.get(f"/api/callers/{new_phone()}")
    assert response.status_code == 404


async def test_an_unreadable_number_is_422(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.get("/api/callers/12")
    assert response.status_code == 422


# interactions and purchases ------------------------------------------------------------------

async def test_a_purchase_posted_over_http_appears_in_the_last_purchases(suite: Suite) -> None:
    created = await register(suite)
    async with suite.client("registry") as client:
        response = await client.post("/api/purchases", json={
            "customer_id": created["customer_id"], "amount": "1250.00", "currency": "RUB",
            "payment_method": "card"})
        assert response.status_code == 202, response.text
        purchase_id = response.json()["purchase_id"]
        card = await card_of(client, created["phone"])
    assert card is not None
    assert [line["purchase_id"] for line in card["last_purchases"]] == [purchase_id]
    records = await suite.read(
        topics.PURCHASE_RECORDED,
        until=lambda rs: any(v.get("purchase_id") == purchase_id for v in values(rs)),
    )
    assert [v["purchase_id"] for v in values(records)].count(purchase_id) == 1


async def test_an_interaction_posted_over_http_appears_in_the_last_interactions(
    suite: Suite,
) -> None:
    created = await register(suite)
    async with suite.client("registry") as client:
        response = await client.post("/api/interactions", json={
            "customer_id": created["customer_id"], "channel": "call", "outcome": "info",
            "duration_s": 95, "questions": 3})
        assert response.status_code == 202, response.text
        interaction = response.json()
        card = await card_of(client, created["phone"])
    assert interaction["operator_id"] is None  # a machine client, not a person
    assert card is not None
    assert [line["interaction_id"] for line in card["last_interactions"]] == [
        interaction["interaction_id"]]


async def test_a_purchase_from_another_system_reaches_the_card(suite: Suite) -> None:
    created = await register(suite)
    purchase = {"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T10:00:00Z",
                "purchase_id": f"pos-{uuid.uuid4().hex[:8]}",
                "customer_id": created["customer_id"], "amount": "99.90", "currency": "RUB",
                "discounted": True, "payment_method": "cash"}
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(purchase).encode(),
                        created["customer_id"].encode())
    async with suite.client("registry") as client:
        async def shown() -> bool:
            card = await card_of(client, created["phone"])
            return bool(card and card["last_purchases"])
        await eventually(shown, what="the POS purchase on the card")


@pytest.mark.parametrize(("path", "body"), [
    ("/api/purchases", {"customer_id": "c-nobody", "amount": "10", "currency": "RUB",
                        "payment_method": "card"}),
    ("/api/interactions", {"customer_id": "c-nobody", "outcome": "info"}),
])
async def test_activity_for_an_unknown_customer_gets_422(
    suite: Suite, path: str, body: dict[str, Any]
) -> None:
    async with suite.client("registry") as client:
        response = await client.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "customer_id"


@pytest.mark.parametrize("change", [{"amount": 12.5}, {"amount": "0"}, {"currency": "XYZ"},
                                    {"amount": "1e400"}, {"extra": 1}])
async def test_an_invalid_purchase_gets_422(suite: Suite, change: dict[str, Any]) -> None:
    created = await register(suite)
    body = {"customer_id": created["customer_id"], "amount": "10", "currency": "RUB",
            "payment_method": "card"} | change
    async with suite.client("registry") as client:
        response = await client.post("/api/purchases", json=body)
    assert response.status_code == 422, response.text


async def purchase_of(suite: Suite, customer_id: str, **fields: Any) -> httpx.Response:
    body = {"customer_id": customer_id, "payment_method": "card"} | fields
    async with suite.client("registry") as client:
        return await client.post("/api/purchases", json=body)


async def loyalty_on_the_card(suite: Suite, phone: str, points: int) -> dict[str, Any]:
    """The card's loyalty figures once loyalty has counted them to ``points``."""
    shown: dict[str, Any] = {}
    async with suite.client("registry") as client:
        async def counted() -> bool:
            card = await card_of(client, phone)
            shown.update((card or {}).get("loyalty") or {})
            return shown.get("points_balance") == points
        await eventually(counted, what=f"{points} points on the card")
    return shown


async def test_a_purchase_in_a_valued_currency_is_accepted_and_converted_by_loyalty(
    suite: Suite,
) -> None:
    created = await register(suite)
    response = await purchase_of(suite, created["customer_id"], amount="10000", currency="KZT")
    assert response.status_code == 202, response.text
    # 10,000 KZT at today's 0.19 (shared/currencies.yaml) = 1,900 RUB: 19 points.
    loyalty = await loyalty_on_the_card(suite, created["phone"], 19)
    assert Decimal(loyalty["value_lifetime"]) == Decimal("1900")


@pytest.mark.parametrize("code", ["BRL", "MXN"])
async def test_a_currency_the_suite_cannot_value_gets_422_naming_the_accepted_ones(
    suite: Suite, code: str,
) -> None:
    created = await register(suite)
    response = await purchase_of(suite, created["customer_id"], amount="10", currency=code)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "currency"]
    assert f"cannot value {code}" in problem["msg"]
    assert {"RUB", "USD", "EUR", "KZT"} <= set(problem["accepted"])
    assert code not in problem["accepted"]


@pytest.mark.parametrize("code", ["ABC", "rub", "US$"])
async def test_a_currency_code_that_is_no_currency_gets_422(suite: Suite, code: str) -> None:
    created = await register(suite)
    response = await purchase_of(suite, created["customer_id"], amount="10", currency=code)
    assert response.status_code == 422, response.text
    assert "not an ISO 4217 currency code" in response.json()["detail"][0]["msg"]


async def test_a_refund_through_the_api_reverses_the_points_of_its_purchase(
    suite: Suite,
) -> None:
    created = await register(suite)
    customer_id = created["customer_id"]
    bought = await purchase_of(suite, customer_id, amount="1000.00", currency="RUB")
    assert bought.status_code == 202, bought.text
    purchase_id = bought.json()["purchase_id"]
    await loyalty_on_the_card(suite, created["phone"], 10)

    refund = await purchase_of(suite, customer_id, amount="-400.00", currency="RUB",
                               refund_of=purchase_id)
    assert refund.status_code == 202, refund.text
    assert refund.json()["refund_of"] == purchase_id
    loyalty = await loyalty_on_the_card(suite, created["phone"], 6)
    assert Decimal(loyalty["value_lifetime"]) == Decimal("600")


@pytest.mark.parametrize(("change", "says"), [
    ({"amount": "40.00"}, "needs a negative amount"),
    ({"amount": "-700.00"}, "exceed the purchase"),
    ({"currency": "USD"}, "currency of the purchase"),
    ({"refund_of": "p-nothing"}, "no purchase with this id"),
])
async def test_a_refund_that_cannot_apply_gets_422(
    suite: Suite, change: dict[str, Any], says: str,
) -> None:
    created = await register(suite)
    bought = await purchase_of(suite, created["customer_id"], amount="1000.00", currency="RUB")
    purchase_id = bought.json()["purchase_id"]
    first = await purchase_of(suite, created["customer_id"], amount="-400.00", currency="RUB",
                              refund_of=purchase_id)
    assert first.status_code == 202, first.text
    body = {"amount": "-100.00", "currency": "RUB", "refund_of": purchase_id} | change
    response = await purchase_of(suite, created["customer_id"], **body)
    assert response.status_code == 422, response.text
    assert says in response.text


# categories ---------------------------------------------------------------------------------

async def test_the_category_lifecycle(suite: Suite) -> None:
    slug = f"golden-{uuid.uuid4().hex[:6]}"
    category = {"slug": slug, "titles": {"en": "Golden", "ru": "Золотой", "fa": "طلایی"},
                "colour": "#c9a227", "discount_percent": "5"}
    async with suite.client("registry", role="admin") as admin:
        created = await admin.post("/api/categories", json=category)
        assert created.status_code == 201, created.text
        assert (await admin.post("/api/categories", json=category)).status_code == 409
        changed = await admin.patch(f"/api/categories/{slug}", json={"prepayment_required": True})
        assert changed.status_code == 200
        assert changed.json()["prepayment_required"] is True

        customer = await register(suite, category=slug)
        in_use = await admin.delete(f"/api/categories/{slug}")
        assert in_use.status_code == 409
        assert in_use.json()["detail"]["customers"] == 1

        moved = await admin.patch(f"/api/customers/{customer['customer_id']}",
                                  json={"category": "ordinary"})
        assert moved.status_code == 200
        assert (await admin.delete(f"/api/categories/{slug}")).status_code == 204
        assert (await admin.delete(f"/api/categories/{slug}")).status_code == 404
        listed = await admin.get("/api/categories")
    assert slug not in [row["slug"] for row in listed.json()]


async def test_a_category_that_starts_requiring_prepayment_tells_billing(suite: Suite) -> None:
    """Changing a category's own rule publishes the combined payment policy of each of its
    customers whose policy changes, once: sending the rule again publishes nothing."""
    slug = f"wholesale-{uuid.uuid4().hex[:6]}"
    async with suite.client("registry", role="admin") as admin:
        created = await admin.post("/api/categories", json={
            "slug": slug, "titles": {"en": "Wholesale"}})
        assert created.status_code == 201, created.text
        phone = new_phone()
        customer = await register(suite, phone=phone, category=slug)
        card = await eventually(lambda: _scored_card(admin, phone), what="the score")
        risk = card["risk"]["payment_policy"]
        strict = await admin.patch(f"/api/categories/{slug}", json={"prepayment_required": True})
        again = await admin.patch(f"/api/categories/{slug}", json={"prepayment_required": True})
    assert strict.status_code == 200, strict.text
    assert strict.json()["payment_policies_published"] == (0 if risk == "prepaid_only" else 1)
    assert again.json()["payment_policies_published"] == 0

    def policies(records: Any) -> list[Any]:
        return [(v["payment_policy"], v["payment_policy_sources"]) for v in values(records)
                if v["customer_id"] == customer["customer_id"] and v.get("payment_policy")]

    # (a score that asked for prepayment already had it published, from the risk alone)
    last = ("prepaid_only", {"risk": risk, "category": "prepaid_only" if risk != "prepaid_only"
                             else "any"})
    records = await suite.read(topics.CUSTOMER_UPDATED, timeout_s=10,
                               until=lambda rs: last in policies(rs))
    assert policies(records)[-1] == last


async def _scored_card(client: httpx.AsyncClient, phone: str) -> dict[str, Any] | None:
    card = await card_of(client, phone)
    return card if card and card.get("risk") else None


@pytest.mark.parametrize("body", [
    {"slug": "Bad Slug", "titles": {"en": "Bad"}},
    {"slug": "ok", "titles": {"en": "Ok"}, "colour": "red"},
    {"slug": "ok", "titles": {"en": "Ok"}, "discount_percent": "150"},
    {"slug": "ok"},
])
async def test_an_invalid_category_gets_422(suite: Suite, body: dict[str, Any]) -> None:
    async with suite.client("registry", role="admin") as admin:
        response = await admin.post("/api/categories", json=body)
    assert response.status_code == 422


# sources ------------------------------------------------------------------------------------

async def test_a_source_typed_in_any_language_is_stored_and_published_as_its_slug(
    suite: Suite,
) -> None:
    created = await register(suite, source=" Друг ")
    assert created["source"] == "friend"
    async with suite.client("registry") as client:
        changed = await client.patch(f"/api/customers/{created['customer_id']}",
                                     json={"source": "شبکه‌های اجتماعی"})
    assert changed.json()["source"] == "social"

    def mine(records: list) -> list:
        return [v for v in values(records) if v["customer_id"] == created["customer_id"]]

    registered = mine(await suite.read(topics.CUSTOMER_REGISTERED, until=mine))
    assert registered[0]["source"] == "friend"


async def test_an_unknown_source_gets_422_listing_the_slugs(suite: Suite) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json=person(source="a pigeon"))
    assert response.status_code == 422
    assert {"friend", "walk_in", "other"} <= set(response.json()["detail"]["valid"])


async def test_the_source_lifecycle(suite: Suite) -> None:
    slug = f"fair_{uuid.uuid4().hex[:6]}"
    source = {"slug": slug, "titles": {"en": "Trade fair", "ru": "Выставка", "fa": "نمایشگاه"},
              "synonyms": [f"expo {slug}"]}
    async with suite.client("registry", role="operator") as operator:
        listed = await operator.get("/api/sources")
    assert {"friend", "search", "social", "advertising", "walk_in", "partner", "other"} <= {
        row["slug"] for row in listed.json()}
    async with suite.client("registry", role="admin") as admin:
        created = await admin.post("/api/sources", json=source)
        assert created.status_code == 201, created.text
        assert (await admin.post("/api/sources", json=source)).status_code == 409
        clash = await admin.patch(f"/api/sources/{slug}", json={"synonyms": ["WORD  of mouth"]})
        assert clash.status_code == 409
        assert clash.json()["detail"]["source"] == "friend"

        customer = await register(suite, source=f"EXPO {slug}")
        assert customer["source"] == slug
        in_use = await admin.delete(f"/api/sources/{slug}")
        assert in_use.status_code == 409
        assert in_use.json()["detail"]["customers"] == 1

        moved = await admin.patch(f"/api/customers/{customer['customer_id']}",
                                  json={"source": "other"})
        assert moved.status_code == 200
        assert (await admin.delete(f"/api/sources/{slug}")).status_code == 204
        assert (await admin.delete(f"/api/sources/{slug}")).status_code == 404


async def test_stored_free_text_is_normalised_once_it_is_a_synonym(suite: Suite) -> None:
    """A registration from another system keeps text registry does not know; once an admin
    adds it as a synonym, the sweep stores the slug and tells loyalty."""
    customer_id, text = f"c-{uuid.uuid4().hex[:12]}", f"billboard {uuid.uuid4().hex[:6]}"
    event = person(new_phone()) | {
        "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
        "customer_id": customer_id, "source": text, "person_type": "individual",
        "category": "ordinary", "entered_by": "self"}
    await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps(event).encode(),
                        customer_id.encode())
    async with suite.client("registry", role="admin") as admin:
        stored = await eventually(lambda: _customer(admin, customer_id), what="the customer")
        assert stored["source"] == text
        advertising = next(row for row in (await admin.get("/api/sources")).json()
                           if row["slug"] == "advertising")
        added = await admin.patch("/api/sources/advertising",
                                  json={"synonyms": [*advertising["synonyms"], text.upper()]})
        assert added.status_code == 200, added.text
        swept = await admin.post("/api/sources/normalise")
        assert swept.status_code == 200
        assert swept.json()["customers_changed"] >= 1
        assert (await admin.post("/api/sources/normalise")).json()["customers_changed"] == 0
        assert (await _customer(admin, customer_id) or {})["source"] == "advertising"

    def told(records: list) -> bool:
        return any(v["customer_id"] == customer_id and v.get("source") == "advertising"
                   for v in values(records))

    assert told(await suite.read(topics.CUSTOMER_UPDATED, timeout_s=10, until=told))


async def _customer(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any] | None:
    response = await client.get(f"/api/customers/{customer_id}")
    return response.json() if response.status_code == 200 else None


# the panel ----------------------------------------------------------------------------------

async def test_the_operator_panel_is_served_without_a_token(suite: Suite) -> None:
    async with suite.client("registry", role=None) as client:
        page = await client.get("/")
        script = await client.get("/static/app.js")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert 'id="lookup-form"' in page.text
    assert script.status_code == 200


async def test_metrics_name_route_templates_never_phone_numbers(suite: Suite) -> None:
    phone = new_phone()
    async with suite.client("registry") as client:
        await client.get(f"/api/callers/{phone}")
        metrics = (await client.get("/metrics")).text
    assert 'route="/api/callers/{phone}"' in metrics
    assert phone[1:] not in metrics


# roles --------------------------------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("POST", "/api/customers", {"full_name": "X"}, {"operator", "admin"}),
    ("GET", "/api/customers/c-nobody", None, {"operator", "analyst", "admin"}),
    ("PATCH", "/api/customers/c-nobody", {"category": "vip"}, {"operator", "admin"}),
    ("GET", "/api/callers/+79160000000", None, {"operator", "analyst", "admin"}),
    ("POST", "/api/callers/lookup", {"phone": "+79160000000"}, {"operator", "analyst", "admin"}),
    ("GET", "/api/categories", None, {"operator", "analyst", "admin"}),
    ("POST", "/api/categories", {"slug": "vip", "titles": {"en": "VIP"}}, {"admin"}),
    ("PATCH", "/api/categories/nope", {"colour": "#000000"}, {"admin"}),
    ("DELETE", "/api/categories/nope", None, {"admin"}),
    ("POST", "/api/interactions", {"customer_id": "c-nobody", "outcome": "info"},
     {"operator", "admin"}),
    ("POST", "/api/purchases", {"customer_id": "c-nobody"}, {"operator", "admin"}),
    ("GET", "/api/customers?q=anna", None, {"operator", "admin"}),
    ("POST", "/api/customers/search", {"q": "anna"}, {"operator", "admin"}),
    ("GET", "/api/customers/c-nobody/history", None, {"operator", "analyst", "admin"}),
    ("GET", "/api/customers/c-nobody/activity", None, {"operator", "admin"}),
    ("GET", "/api/customers/c-nobody/notes", None, {"operator", "admin"}),
    ("POST", "/api/customers/c-nobody/notes", {"text": "x"}, {"operator", "admin"}),
    ("POST", "/api/telephony/events", {"call_id": "c1", "event": "ended", "from": "x"},
     {"admin"}),
    ("POST", "/api/telephony/calls/c1/outcome", {"outcome": "info"}, {"operator", "admin"}),
    ("POST", "/api/telephony/calls/c1/caller", {"customer_id": "c-nobody"},
     {"operator", "admin"}),
    ("POST", "/api/customers/c-nobody/erasure", None, {"admin"}),
    ("GET", "/api/privacy/c-nobody", None, {"admin"}),
    ("GET", "/api/sources", None, {"operator", "analyst", "admin"}),
    ("POST", "/api/sources", {"slug": "friend", "titles": {"en": "Friend"}}, {"admin"}),
    ("PATCH", "/api/sources/nope", {"synonyms": []}, {"admin"}),
    ("DELETE", "/api/sources/nope", None, {"admin"}),
    ("POST", "/api/sources/normalise", None, {"admin"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
async def test_role_matrix(suite: Suite, method: str, path: str, body: dict[str, Any] | None,
                           allowed: set[str]) -> None:
    seen = {}
    for role in ROLES:
        async with suite.client("registry", role=role) as client:
            response = await client.request(method, path, json=body)
        seen[role] = response.status_code
    async with httpx.AsyncClient(base_url=suite.url("registry"),
                                 headers={"Authorization": "Bearer not-a-token"}) as stranger:
        seen["invalid"] = (await stranger.request(method, path, json=body)).status_code
    assert seen[None] == 401 and seen["invalid"] == 401, seen
    for role in ("operator", "analyst", "admin"):
        if role in allowed:
            assert seen[role] not in (401, 403), (role, seen)
        else:
            assert seen[role] == 403, (role, seen)


# rate limit (last: it spends the analyst token's look-ups) ------------------------------------

async def test_bulk_card_lookups_are_rate_limited_per_token(suite: Suite) -> None:
    async with suite.client("registry", role="analyst") as client:
        responses = await asyncio.gather(
            *(client.get(f"/api/callers/{new_phone()}") for _ in range(150)))
        async with suite.client("registry", role="admin") as other:
            unaffected = await other.get(f"/api/callers/{new_phone()}")
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    assert int(limited[0].headers["retry-after"]) >= 1
    assert "look-ups" in limited[0].json()["detail"]
    assert unaffected.status_code == 404
