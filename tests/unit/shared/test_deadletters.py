"""Which dead letters a purge takes out for an erased customer."""

import json

from aiokafka import ConsumerRecord

from shared.deadletters import belongs_to


def dead_letter(value: bytes, key: str | None = "c-other") -> ConsumerRecord:
    return ConsumerRecord(
        topic="crm.purchase.recorded.v1.dlq", partition=0, offset=0, timestamp=0,
        timestamp_type=0, key=None if key is None else key.encode(), value=value,
        checksum=None, serialized_key_size=0, serialized_value_size=len(value), headers=())


def event(**fields: object) -> bytes:
    return json.dumps({"event_id": "e-1", **fields}).encode()


def test_a_record_keyed_by_the_customer_is_theirs() -> None:
    assert belongs_to(dead_letter(b"", key="c-1"), "c-1")


def test_an_event_naming_the_customer_in_any_customer_field_is_theirs() -> None:
    assert belongs_to(dead_letter(event(customer_id="c-1")), "c-1")
    assert belongs_to(dead_letter(event(referrer_id="c-1", referred_id="c-2")), "c-1")
    assert belongs_to(dead_letter(event(referrer_id="c-2", referred_id="c-1")), "c-1")


def test_another_customers_event_is_not_theirs() -> None:
    assert not belongs_to(dead_letter(event(customer_id="c-12")), "c-1")
    assert not belongs_to(dead_letter(event(purchase_id="c-1", customer_id="c-2")), "c-1")


def test_a_broken_record_holding_the_id_as_a_json_string_is_theirs() -> None:
    assert belongs_to(dead_letter(b'{"customer_id": "c-1", "phone": ', key=None), "c-1")
    assert not belongs_to(dead_letter(b'{"customer_id": "c-12", ', key=None), "c-1")
    assert not belongs_to(dead_letter(b"\xff\xfe not json", key=None), "c-1")
