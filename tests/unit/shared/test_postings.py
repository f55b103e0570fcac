"""The stand-in's postings agree with a brute-force look-up after any sequence of writes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.database.postings import Postings, index_field

values = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 3),
                   st.lists(st.sampled_from(["a", "b", 1, 2]), max_size=3))
writes = st.lists(st.tuples(st.sampled_from(["x", "y", "z", 7]),
                            st.one_of(st.none(), values)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(writes=writes)
def test_candidates_are_exactly_the_documents_holding_the_value(writes: list) -> None:
    postings = Postings()
    postings.add_field("tag", [])
    stored: dict = {}
    for key, value in writes:
        document = None if value is None else {"_id": key, "tag": value}
        postings.update(key, document)
        if document is None:
            stored.pop(key, None)
        else:
            stored[key] = value
    for wanted in ["a", "b", "c", 0, 1, 2, 3]:
        holding = {key for key, value in stored.items()
                   if value == wanted or (isinstance(value, list) and wanted in value)}
        assert set(postings.candidates({"tag": wanted}) or []) == holding
        assert set(postings.candidates({"tag": {"$in": [wanted, "none"]}}) or []) == holding


def test_which_indexes_answer_equality() -> None:
    assert index_field("keys", {}) == "keys"
    assert index_field([("customer_id", 1), ("at", -1)], {}) == "customer_id"
    assert index_field("at", {"expireAfterSeconds": 60}) is None
    assert index_field("a.b", {}) is None
    assert Postings().candidates({"tag": "a"}) is None  # no index: a scan
