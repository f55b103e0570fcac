from services.scoring.domain import count_and_record
from services.scoring.domain.velocity import MAX_ENTRIES


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
