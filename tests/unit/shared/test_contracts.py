"""The event contract: round trips, tolerance of unknown fields, refusal of bad values."""

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.contracts import (
    ALL_EVENTS,
    EVENT_BY_TOPIC,
    CustomerRegistered,
    CustomerSegmented,
    Event,
    LoyaltyUpdated,
    PurchaseRecorded,
    topics,
)

EXAMPLES: dict[str, dict[str, object]] = {
    topics.CUSTOMER_REGISTERED: {
        "customer_id": "c-1", "full_name": "Anna Petrova", "phone": "+79001234567",
        "email": "anna@example.ru", "country": "RU", "ip": "5.255.255.5",
        "card_holder_name": "ANNA PETROVA", "person_type": "individual", "category": "vip",
        "source": "friend", "referred_by": "c-0", "card_number": "7001", "language": "ru",
        "entered_by": "operator", "operator_id": "op-7",
    },
    topics.CUSTOMER_UPDATED: {"customer_id": "c-1", "category": "vip", "changed": ["category"],
                              "changed_by": "op-7"},
    topics.CUSTOMER_SCORED: {
        "customer_id": "c-1", "score": 82, "band": "high", "payment_policy": "irreversible_only",
        "reasons": [{"code": "famous_name", "detail": "a famous name", "weight": 40}],
        "model_version": "rules-1",
    },
    topics.CUSTOMER_SEGMENTED: {"customer_id": "c-1", "segment": "chatty",
                                "evidence": {"interactions": 9}},
    topics.INTERACTION_LOGGED: {"interaction_id": "i-1", "customer_id": "c-1", "channel": "call",
                                "duration_s": 300, "questions": 4, "outcome": "info"},
    topics.PURCHASE_RECORDED: {"purchase_id": "p-1", "customer_id": "c-1", "amount": "1250.50",
                               "currency": "RUB", "discounted": False, "payment_method": "card"},
    topics.LOYALTY_UPDATED: {"customer_id": "c-1", "points_delta": 12, "points_balance": 40,
                             "value_month": "1250.50", "value_year": "9000",
                             "value_lifetime": "25000000000.00", "tier": "gold"},
    topics.TIER_CHANGED: {"customer_id": "c-1", "old_tier": "silver", "new_tier": "gold",
                          "value_percentile": 91.5},
    topics.CUSTOMER_LAPSED: {"customer_id": "c-1", "last_purchase_at": "2026-01-01T10:00:00Z",
                             "expected_interval_days": 30, "days_since": 75},
    topics.REFERRAL_CREDITED: {"referrer_id": "c-0", "referred_id": "c-1", "bonus_points": 500},
    topics.POINTS_REDEEMED: {"redemption_id": "r-1", "customer_id": "c-1", "points": 200,
                             "points_balance": 300, "purchase_id": "p-1"},
    topics.NOTIFICATION_SENT: {"notification_id": "n-1", "customer_id": "c-1",
                               "kind": "quality_survey", "channel": "sms", "status": "sent"},
    topics.SURVEY_ANSWERED: {"survey_id": "n-1", "customer_id": "c-1", "kind": "quality_survey",
                             "rating": 5, "employee_id": "e-2", "comment": "fine"},
    topics.OPERATOR_UPDATED: {"operator_id": "op-7", "display_name": "Anna Petrova",
                              "display_names": {"ru": "Анна Петрова", "fa": "آنا پتروا"},
                              "active": True, "role": "operator", "session_version": 2},
    topics.CUSTOMER_ERASED: {"customer_id": "c-1", "requested_by": "op-1",
                             "reason": "data subject's request"},
    topics.FRAUD_OUTCOME: {"customer_id": "c-1", "outcome": "fraud", "recorded_by": "op-9",
                           "score": 82, "band": "high", "model_version": "rules-1"},
    topics.POINTS_EXPIRED: {"customer_id": "c-1", "points": 300, "points_balance": 0,
                            "expired_at": "2027-11-28T09:00:00Z"},
    topics.POINTS_EXPIRING: {"customer_id": "c-1", "points": 300,
                             "expires_at": "2027-11-28T09:00:00Z"},
    topics.CUSTOMER_THANKED: {"thank_you_id": "ty-1", "customer_id": "c-1",
                              "reason": "complaint_resolved", "bonus_points": 100,
                              "operator_id": "op-7", "note": "sorry for the delay"},
}


def test_every_topic_has_a_model_and_an_example() -> None:
    assert set(EVENT_BY_TOPIC) == set(topics.ALL) == set(EXAMPLES)
    assert len(ALL_EVENTS) == len(topics.ALL)


@pytest.mark.parametrize("topic", topics.ALL)
def test_every_event_round_trips_through_json(topic: str) -> None:
    model = EVENT_BY_TOPIC[topic]
    event = model.model_validate(EXAMPLES[topic])
    again = model.model_validate_json(event.to_bytes())
    assert again == event
    body = json.loads(event.to_bytes())
    assert body["event_id"] and body["occurred_at"].endswith("Z")


@pytest.mark.parametrize("topic", topics.ALL)
def test_unknown_fields_are_ignored(topic: str) -> None:
    model = EVENT_BY_TOPIC[topic]
    event = model.model_validate({**EXAMPLES[topic], "added_in_a_later_version": [1, 2]})
    assert "added_in_a_later_version" not in event.model_dump()


def test_money_travels_as_a_decimal_string() -> None:
    purchase = PurchaseRecorded.model_validate(EXAMPLES[topics.PURCHASE_RECORDED])
    assert purchase.amount == Decimal("1250.50")
    assert json.loads(purchase.to_bytes())["amount"] == "1250.50"


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="decimal string"):
        PurchaseRecorded.model_validate({**EXAMPLES[topics.PURCHASE_RECORDED], "amount": 12.5})


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e400", "0", "99999999999", "abc"])
def test_absurd_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ValidationError):
        PurchaseRecorded.model_validate({**EXAMPLES[topics.PURCHASE_RECORDED], "amount": amount})


def test_a_lifetime_value_may_exceed_the_per_purchase_cap() -> None:
    update = LoyaltyUpdated.model_validate(EXAMPLES[topics.LOYALTY_UPDATED])
    assert update.value_lifetime == Decimal("25000000000.00")


@pytest.mark.parametrize("field,value", [
    ("phone", "89001234567"), ("country", "XX"), ("person_type", "robot"),
    ("category", "VIP Customers!"), ("entered_by", "api"), ("full_name", ""),
    ("full_name", "x" * 201), ("full_name", "Anna\x00Petrova"), ("language", "de"),
])
def test_a_registration_with_a_bad_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as error:
        CustomerRegistered.model_validate({**EXAMPLES[topics.CUSTOMER_REGISTERED], field: value})
    assert error.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("evidence", [{"$where": 1}, {"a.b": 1}, {"ok": {"$gt": 1}}])
def test_evidence_keys_that_mongodb_would_read_as_operators_are_refused(evidence: dict) -> None:
    with pytest.raises(ValidationError, match="not allowed"):
        CustomerSegmented(customer_id="c-1", segment="chatty", evidence=evidence)


def test_operator_syntax_inside_a_string_is_kept_as_plain_data() -> None:
    event = CustomerRegistered.model_validate(
        {**EXAMPLES[topics.CUSTOMER_REGISTERED], "full_name": '{"$ne": null}'})
    assert event.full_name == '{"$ne": null}'


def test_a_naive_timestamp_is_read_as_utc() -> None:
    event = CustomerRegistered.model_validate(
        {**EXAMPLES[topics.CUSTOMER_REGISTERED], "occurred_at": "2026-11-23T09:00:00"})
    assert event.occurred_at.utcoffset() is not None
    assert event.occurred_at.hour == 9


def test_derived_ids_are_stable_and_distinct_per_purpose() -> None:
    source = "0b7e4f0e-8a55-4d6c-9a3c-5d1d0f1f2a10"
    assert Event.derived_id(source, "scored") == Event.derived_id(source, "scored")
    assert Event.derived_id(source, "scored") != Event.derived_id(source, "segmented")


def test_the_message_key_is_the_customer_id() -> None:
    event = CustomerRegistered.model_validate(EXAMPLES[topics.CUSTOMER_REGISTERED])
    assert event.key() == b"c-1"


def wire(topic: str, **changes: object) -> bytes:
    body = {"event_id": "0b7e4f0e-8a55-4d6c-9a3c-5d1d0f1f2a10",
            "occurred_at": "2026-11-23T09:15:00Z", **EXAMPLES[topic], **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize("topic", topics.ALL)
def test_every_event_parses_strictly_from_the_wire(topic: str) -> None:
    assert EVENT_BY_TOPIC[topic].from_wire(wire(topic)).event_id


@pytest.mark.parametrize("field", ["event_id", "occurred_at"])
def test_an_event_without_its_id_or_time_is_refused_on_the_wire(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PurchaseRecorded.from_wire(wire(topics.PURCHASE_RECORDED, **{field: None}))


@pytest.mark.parametrize("field,value", [("discounted", "yes"), ("discounted", 1),
                                         ("currency", "XXX"), ("currency", "XAU")])
def test_loose_values_are_refused_on_the_wire(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        PurchaseRecorded.from_wire(wire(topics.PURCHASE_RECORDED, **{field: value}))


def test_a_score_given_as_a_string_is_refused_on_the_wire() -> None:
    with pytest.raises(ValidationError, match="score"):
        EVENT_BY_TOPIC[topics.CUSTOMER_SCORED].from_wire(wire(topics.CUSTOMER_SCORED, score="82"))
