from services.scoring.domain.velocity import decode_entries, encode_entries
from services.scoring.repository import velocity_id


def test_velocity_entries_survive_their_compact_encoding() -> None:
    entries = [["c-1f3a", 1795000000.125], ["bench:000_1.x", 1795000001.0]]
    assert decode_entries(encode_entries(entries)) == entries
    assert decode_entries("") == []


def test_a_velocity_key_is_stored_as_a_digest_of_its_value() -> None:
    key = velocity_id("ip", "8.8.8.8")
    assert key.startswith("ip:") and "8.8.8.8" not in key
    assert key == velocity_id("ip", "8.8.8.8") != velocity_id("ip", "8.8.4.4")
