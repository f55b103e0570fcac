"""A dead letter's reason names fields, rules and error codes, never the values it failed on."""

from collections.abc import AsyncIterator, Sequence

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from shared.consumer import describe, reason_for, without_values
from shared.contracts import CustomerRegistered, Event, OperatorUpdated, topics
from shared.errors import Rejected
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings

PHONE = "+79001234567"
EMAIL = "anna.petrova@mail.example"
NAME = "Anna Petrova"
PERSONAL = (PHONE, "9001234567", EMAIL, "Anna", "Petrova")


def personal_data_in(reason: str) -> list[str]:
    return [value for value in PERSONAL if value in reason]


def registration(**changes: object) -> dict[str, object]:
    return {"customer_id": "c-1", "full_name": NAME, "phone": PHONE, "email": EMAIL,
            "country": "RU", "person_type": "individual", "category": "ordinary",
            "entered_by": "self", **changes}


def validation_error(model: type[Event], fields: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)
    return caught.value


def test_a_validation_reason_gives_locations_and_error_types_only() -> None:
    error = validation_error(CustomerRegistered, registration(
        phone="8 900 123-45-67", country="zz", full_name=NAME + "\x01", person_type=NAME))
    assert "'zz' is not" in str(error)  # a custom validator's message quotes the input

    reason = describe(error)

    assert reason == ("full_name: value_error; phone: value_error; country: value_error; "
                      "person_type: literal_error")


def test_a_dict_key_from_the_input_is_not_named_as_a_location() -> None:
    error = validation_error(OperatorUpdated, {
        "operator_id": "op-1", "display_name": "Anna", "active": True,
        "display_names": {PHONE: NAME, EMAIL: NAME}})
    assert PHONE in str(error)  # pydantic's location is display_names.<the key>.[key]

    reason = describe(error)

    assert reason == "display_names.*.[key]: literal_error; display_names.*.[key]: literal_error"
    assert personal_data_in(reason) == []


def test_a_duplicate_key_reason_names_the_index_fields_not_the_key_value() -> None:
    error = DuplicateKeyError(
        f'E11000 duplicate key error collection: registry.customers index: phone_1 dup key: '
        f'{{ phone: "{PHONE}" }}', code=11000,
        details={"index": 0, "code": 11000, "keyPattern": {"phone": 1},
                 "keyValue": {"phone": PHONE}, "errmsg": f"dup key {PHONE} {NAME}"})

    assert reason_for(error) == "DuplicateKeyError: code 11000 on phone"


def test_a_duplicate_key_without_details_gives_its_code() -> None:
    # The in-process stand-in raises it so: message and code, no details.
    error = DuplicateKeyError(f"E11000 duplicate key error index: _id_ dup key: {EMAIL}",
                              code=11000)

    assert reason_for(error) == "DuplicateKeyError: code 11000"


def test_a_bulk_write_reason_gives_each_write_errors_code_and_fields() -> None:
    error = BulkWriteError({"writeErrors": [
        {"index": 0, "code": 11000, "keyPattern": {"loyalty.card_number": 1},
         "keyValue": {"loyalty.card_number": "4111111111111111"}, "errmsg": NAME}],
        "nInserted": 0})

    reason = reason_for(error)

    assert reason == "BulkWriteError: code 11000 on loyalty.card_number"
    assert "4111" not in reason


def test_an_operation_failure_gives_its_code_and_code_name() -> None:
    error = OperationFailure(f"Document failed validation: {EMAIL}", code=121,
                             details={"code": 121, "codeName": "DocumentValidationFailure",
                                      "errmsg": f"Document failed validation: {EMAIL}"})

    assert reason_for(error) == "OperationFailure: code 121 DocumentValidationFailure"


def test_any_other_error_gives_its_type_only() -> None:
    assert reason_for(KeyError(f"{NAME} {PHONE}")) == "KeyError"
    assert reason_for(ValueError(f"unknown {EMAIL}")) == "ValueError"


def test_a_rejected_message_keeps_its_words_and_loses_phones_and_emails() -> None:
    reason = reason_for(Rejected(f"phone {PHONE} or +7 (900) 123-45-67 taken by {EMAIL}"))

    assert reason == "phone <number> or <number> taken by <email>"


def test_short_numbers_and_codes_survive_masking() -> None:
    assert without_values("code 11000, refund 1500.00 > 1000.00, 'JPY'") == (
        "code 11000, refund 1500.00 > 1000.00, 'JPY'")


class FailingHandler:
    """Fails with the scripted errors, one per call."""

    def __init__(self) -> None:
        self.failures: list[BaseException] = []

    async def __call__(self, event: CustomerRegistered) -> Sequence[Event]:
        if self.failures:
            raise self.failures.pop(0)
        return []


class Harness:
    def __init__(self) -> None:
        settings = ServiceSettings(service_name="test", retry_backoff_s=0.001, retry_attempts=2)
        self.runtime = ServiceRuntime(settings)
        self.handler = FailingHandler()
        self.runtime.subscribe(CustomerRegistered, self.handler)
        self.runtime.register_consumers()
        self.reasons: list[str] = []

        @self.runtime.broker.subscriber(topics.dlq(topics.CUSTOMER_REGISTERED))
        async def dead_letters(message: KafkaMessage) -> None:
            self.reasons.append(message.headers["crm-dlq-reason"])


@pytest.fixture
async def harness() -> AsyncIterator[tuple[Harness, TestKafkaBroker]]:
    h = Harness()
    async with TestKafkaBroker(h.runtime.broker) as broker:
        yield h, broker


async def test_a_handler_failing_on_a_duplicate_phone_dead_letters_no_personal_data(
    harness: tuple[Harness, TestKafkaBroker],
) -> None:
    h, broker = harness
    duplicate = DuplicateKeyError(f"E11000 dup key: {{ phone: \"{PHONE}\" }} {NAME}",
                                  code=11000, details={"code": 11000, "keyPattern": {"phone": 1},
                                                       "keyValue": {"phone": PHONE}})
    h.handler.failures = [duplicate, duplicate]
    event = CustomerRegistered.model_validate(registration())

    await broker.publish(event.to_bytes(), topics.CUSTOMER_REGISTERED, key=b"c-1")

    assert h.reasons == ["handler failed 2 times: DuplicateKeyError: code 11000 on phone"]


async def test_a_rejection_quoting_a_phone_is_dead_lettered_without_it(
    harness: tuple[Harness, TestKafkaBroker],
) -> None:
    h, broker = harness
    h.handler.failures = [Rejected(f"phone {PHONE} already registered")]
    event = CustomerRegistered.model_validate(registration())

    await broker.publish(event.to_bytes(), topics.CUSTOMER_REGISTERED, key=b"c-1")

    assert h.reasons == ["phone <number> already registered"]
