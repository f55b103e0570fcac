"""Fuzzing the event parsers: whatever bytes arrive, the answer is a validated event or a
ValidationError (which the consume path dead-letters), never another exception."""

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contracts import EVENT_BY_TOPIC, topics
from tests.unit.shared.test_contracts import EXAMPLES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=30) | st.sampled_from(["$where", "$ne", "a.b", "\x00", "9" * 400]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def parse(topic: str, raw: bytes) -> None:
    with contextlib.suppress(ValidationError):
        EVENT_BY_TOPIC[topic].model_validate_json(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(topic=st.sampled_from(topics.ALL), raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_a_parser(topic: str, raw: bytes) -> None:
    parse(topic, raw)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(topic=st.sampled_from(topics.ALL), data=st.data())
def test_a_valid_event_with_one_field_replaced_never_crashes_a_parser(
    topic: str, data: st.DataObject,
) -> None:
    body: dict[str, Any] = dict(EXAMPLES[topic])
    field = data.draw(st.sampled_from(sorted(body)))
    body[field] = data.draw(json_values)
    parse(topic, json.dumps(body, allow_nan=True).encode())


@pytest.mark.parametrize("raw", [
    b"\xff\xfe\x00", b"\xc3\x28", b'{"customer_id": "\xed\xa0\x80"}', b"[]", b"null", b"1e999",
    b'{"a":' * 5000, b'"' + b"x" * 100_000 + b'"',
])
def test_hostile_payloads_are_validation_errors(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        EVENT_BY_TOPIC[topics.PURCHASE_RECORDED].model_validate_json(raw)
