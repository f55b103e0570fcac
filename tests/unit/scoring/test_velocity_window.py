from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.domain import count_and_record, count_and_record_encoded
from services.scoring.domain.velocity import (
    MAX_ENTRIES,
    count_registration,
    decode_entries,
    encode_entries,
    limited_keys,
)


def test_an_empty_key_counts_nothing_and_records_the_registration() -> None:
    assert count_and_record([], "a", 100.0, 60) == (0, [["a", 100.0]])


def test_entries_outside_the_window_are_pruned() -> None:
    count, kept = count_and_record([["a", 0.0], ["b", 50.0]], "c", 100.0, 60)
    assert count == 1
    assert kept == [["b", 50.0], ["c", 100.0]]


def test_recording_the_same_customer_twice_keeps_one_entry() -> None:
    _, once = count_and_record([], "a", 10.0, 60)
    count, twice = count_and_record(once, "a", 10.0, 60)
    assert count == 0
    assert twice == once


def test_the_list_is_capped_to_the_most_recent_entries() -> None:
    entries = [[f"c{i}", float(i)] for i in range(MAX_ENTRIES + 50)]
    count, kept = count_and_record(entries, "new", float(MAX_ENTRIES + 50), 10_000)
    assert count == MAX_ENTRIES + 50
    assert len(kept) == MAX_ENTRIES
    assert kept[-1] == ["new", float(MAX_ENTRIES + 50)]


# A stored list, registration by registration: some late, some redelivered, some far ahead.
_registrations = st.lists(
    st.tuples(st.sampled_from([f"c{i}" for i in range(12)]),
              st.floats(min_value=-5_000, max_value=5_000, allow_nan=False).map(
                  lambda delay: round(1_795_000_000 + delay, 4))),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_registrations, st.sampled_from([1, 60, 3600, 86_400]), st.integers(1, 120))
def test_counting_on_the_stored_list_is_counting_on_its_entries(
    registrations: list[tuple[str, float]], window_seconds: int, cap: int,
) -> None:
    stored = ""
    with patch("services.scoring.domain.velocity.MAX_ENTRIES", cap):
        for customer_id, at in registrations:
            expected_count, kept = count_and_record(
                decode_entries(stored), customer_id, at, window_seconds)
            count, encoded = count_and_record_encoded(stored, customer_id, at, window_seconds)
            assert (count, encoded) == (expected_count, encode_entries(kept))
            stored = encoded


def test_a_list_stored_by_an_older_writer_is_read_the_same() -> None:
    # Whole seconds without decimals: decoded to the same times, and counted the same.
    count, encoded = count_and_record_encoded("a@100 b@150", "c", 160.0, 120)
    assert count == 2
    assert decode_entries(encoded) == [["a", 100.0], ["b", 150.0], ["c", 160.0]]


def test_a_redelivered_registration_on_the_stored_list_changes_nothing() -> None:
    _, once = count_and_record_encoded("a@90.000", "b", 100.0, 60)
    count, twice = count_and_record_encoded(once, "b", 100.0, 60)
    assert (count, twice) == (1, once)


def test_a_registration_is_counted_only_under_the_keys_the_configuration_limits(
    config, registration
) -> None:
    event = registration(email="anna@acme-widgets.ru", ip="8.8.8.8")
    assert limited_keys(event, config).keys() == {"ip", "card_holder", "email_domain"}
    without_ip = config.model_copy(update={"velocity": {
        kind: limit for kind, limit in config.velocity.items() if kind != "ip"}})
    assert "ip" not in limited_keys(event, without_ip)


def test_each_limited_list_counts_earlier_registrations_and_records_this_one(config) -> None:
    window = config.velocity["ip"].window_seconds
    earlier = encode_entries([["a", 1000.0], ["b", 1000.0 + window]])
    counted = count_registration({"ip": earlier, "email_domain": ""}, "c",
                                 1001.0 + window, config)
    assert (counted.counts.ip, counted.counts.email_domain) == (1, 0)
    assert decode_entries(counted.lists["ip"]) == [["b", 1000.0 + window],
                                                   ["c", 1001.0 + window]]
    assert decode_entries(counted.lists["email_domain"]) == [["c", 1001.0 + window]]
