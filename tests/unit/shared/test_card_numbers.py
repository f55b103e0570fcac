"""A card number in the suite is a loyalty card's: anything shaped like a payment card
number (13-19 digits passing the Luhn check) is refused wherever it enters, events included."""

import json
import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.consumer import describe
from shared.contracts import CustomerRegistered, CustomerUpdated, Event, LoyaltyUpdated
from shared.contracts.types import LoyaltyCardNumber, looks_like_payment_card, luhn_valid

PAYMENT_CARDS = ("4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004",
                 "378282246310005", "4222222222222", "6011 0009 9013 9424",
                 "6250941006528599", "٤١١١١١١١١١١١١١١١")  # Arabic-Indic digits
LOYALTY_CARDS = ("L-100234", "card-17", "7001", "771234567890", "77ab12cd0003",
                 "4111111111111112",  # Luhn fails
                 "411111111111",  # 12 digits
                 "41111111111111111111")  # 20 digits
CARD = TypeAdapter(LoyaltyCardNumber)


@pytest.mark.parametrize(("digits", "valid"), [
    ("4111111111111111", True), ("79927398713", True), ("0", True),
    ("4111111111111112", False), ("79927398710", False),
])
def test_the_luhn_check(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize("number", PAYMENT_CARDS)
def test_payment_card_numbers_are_recognised_in_any_common_notation(number: str) -> None:
    assert looks_like_payment_card(number)


@pytest.mark.parametrize("number", LOYALTY_CARDS)
def test_loyalty_card_numbers_are_not_mistaken_for_payment_cards(number: str) -> None:
    assert not looks_like_payment_card(number)
    assert CARD.validate_python(number) == number


@pytest.mark.parametrize("number", PAYMENT_CARDS)
def test_a_payment_card_number_is_refused_with_a_message_that_does_not_repeat_it(
    number: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        CARD.validate_python(number)
    (error,) = refused.value.errors()
    assert error["type"] == "value_error"
    assert "payment card number" in error["msg"]
    assert "4111" not in error["msg"] and "5500" not in error["msg"]


def wire(event_type: type[Event], **fields: object) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()), "occurred_at": "2026-11-28T10:00:00Z",
                       **fields}).encode()


EVENTS = [
    (CustomerRegistered, {"customer_id": "c-1", "full_name": "Anna Petrova",
                          "phone": "+79001234567", "country": "RU",
                          "person_type": "individual", "category": "ordinary",
                          "entered_by": "self"}),
    (CustomerUpdated, {"customer_id": "c-1", "changed": ["card_number"]}),
    (LoyaltyUpdated, {"customer_id": "c-1", "points_delta": 1, "points_balance": 1,
                      "value_month": "1", "value_year": "1", "value_lifetime": "1",
                      "tier": "standard"}),
]


@pytest.mark.parametrize(("event_type", "fields"), EVENTS,
                         ids=[event_type.__name__ for event_type, _ in EVENTS])
def test_an_event_carrying_a_payment_card_number_is_invalid_and_its_reason_names_the_field(
    event_type: type[Event], fields: dict[str, object],
) -> None:
    assert event_type.from_wire(wire(event_type, **fields, card_number="L-1")).card_number
    with pytest.raises(ValidationError) as refused:
        event_type.from_wire(wire(event_type, **fields, card_number="4111 1111 1111 1111"))

    reason = describe(refused.value)

    assert reason == "card_number: value_error"
