"""The MongoDB stand-in: the _id fast path equals mongomock's scan; transactions; journal."""

import datetime as dt
from pathlib import Path

import bson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from shared.database import fastpath
from shared.database.memory import MemoryDatabase

WHEN = dt.datetime(2026, 11, 23, 9, 30, 1, 123456, tzinfo=dt.UTC)
ids = st.sampled_from(["a", "b", "c", "zz", 1, 2, 3])
updates = st.sampled_from([
    {"$inc": {"n": 1}}, {"$set": {"n": [1, 2]}}, {"$set": {"n": {"x": 1}}},
    {"$set": {"tag": "x"}}, {"$unset": {"tag": ""}},
    {"$setOnInsert": {"s": WHEN}, "$set": {"tag": "y"}, "$inc": {"m": 2.5}},
    {"$push": {"log": 1}}, {"$set": {"nested.v": 2}},
])
operations = st.lists(
    st.tuples(st.sampled_from(["insert", "insert_again", "update", "upsert", "replace",
                               "replace_upsert", "delete", "find", "insert_many", "find_in",
                               "delete_in", "by_index"]),
              ids, updates),
    max_size=30,
)


async def apply(db: MemoryDatabase, ops: list) -> list:
    collection = db.collection("c")
    await collection.create_index("n")  # with the fast path on, equality uses postings
    await collection.create_index([("tag", 1), ("n", -1)])
    trace = []
    for op, key, update in ops:
        if op == "insert":
            if await collection.find_one({"_id": key}) is None:
                await collection.insert_one({"_id": key, "n": 0, "at": WHEN, "tags": ("a", 1)})
        elif op == "insert_again":
            try:
                await collection.insert_one({"_id": key, "n": 9})
                trace.append("inserted")
            except DuplicateKeyError:
                trace.append("duplicate")
        elif op == "replace_upsert":
            result = await collection.replace_one({"_id": key}, {"r": 2, "at": WHEN}, upsert=True)
            trace.append((result.matched_count, result.modified_count, result.upserted_id))
        elif op == "update":
            try:  # $inc on the list $set there: MongoDB refuses it, mongomock raises TypeError
                trace.append((await collection.update_one({"_id": key}, update)).matched_count)
            except (TypeError, WriteError) as refused:
                trace.append(("refused", type(refused).__name__))
        elif op == "upsert":
            try:
                result = await collection.update_one({"_id": key}, update, upsert=True)
                trace.append((result.matched_count, result.upserted_id))
            except (TypeError, WriteError) as refused:
                trace.append(("refused", type(refused).__name__))
        elif op == "replace":
            result = await collection.replace_one({"_id": key}, {"r": 1})
            trace.append((result.matched_count, result.modified_count, result.upserted_id))
        elif op == "delete":
            trace.append((await collection.delete_one({"_id": key})).deleted_count)
        elif op == "insert_many":  # a batch's bulk insert; a duplicate fails it as a server does
            try:
                result = await collection.insert_many([{"_id": key, "m": 1}, {"_id": "new"}])
                trace.append(result.inserted_ids)
            except BulkWriteError as error:
                trace.append(("bulk", error.details["nInserted"]))
        elif op == "find_in":  # no order is promised for $in: compared sorted
            rows = await collection.find({"_id": {"$in": [key, "zz", 3, key]}}).to_list()
            trace.append(sorted(rows, key=lambda row: str(row["_id"])))
            rows = await collection.find({"_id": {"$in": [key]}}, {"_id": 1}).to_list()
            trace.append(rows)
        elif op == "by_index":  # no order is promised: compared sorted
            for filter in ({"n": 1}, {"n": {"$in": [0, 1, 9]}}, {"tag": "x", "n": {"$gte": 1}},
                           {"n": 1.0}, {"tag": "x"}):
                rows = await collection.find(filter).to_list()
                trace.append(sorted(rows, key=lambda row: str(row["_id"])))
            found = await collection.find_one({"n": 9})  # which one of several: not promised
            trace.append(found if found is None else found["n"])
            trace.append((await collection.update_many({"n": 0}, {"$inc": {"n": 1}})).matched_count)
            trace.append((await collection.delete_many({"tag": "x", "n": 2})).deleted_count)
        elif op == "delete_in":
            result = await collection.delete_many({"_id": {"$in": [key, "new"]}})
            trace.append(result.deleted_count)
        trace.append(await collection.find_one({"_id": key}))
        trace.append(await collection.find_one({"_id": key}, {"n": 1, "_id": 0}))
    trace.append(await collection.find({}).sort("_id", 1).to_list())
    trace.append(await collection.find({}).sort("_id", 1).limit(2).to_list())
    trace.append(await collection.find({}, {"n": 1}).sort("_id", 1).limit(9).to_list())
    trace.append(await collection.find({}).to_list())
    trace.append(await collection.find({"n": {"$gte": 1}}, {"n": 1}).to_list())
    trace.append(await collection.find({"at": {"$lt": WHEN + dt.timedelta(days=1)}},
                                       {"at": 1, "_id": 0}).to_list())
    # no order is promised without a sort: compared sorted (an index narrows these)
    trace.append(sorted(await collection.find({"tag": {"$ne": None}}).to_list(),
                        key=lambda row: str(row["_id"])))
    trace.append(sorted(await collection.find({"n": {"$ne": None}, "r": {"$ne": 1}}).to_list(),
                        key=lambda row: str(row["_id"])))
    trace.append(len(await collection.find({"tag": {"$ne": None}}).limit(2).to_list()))
    for counted in ({"n": 1}, {"tag": {"$ne": None}}, {"n": {"$in": [0, 9]}, "r": {"$ne": 1}}):
        trace.append(await collection.count_documents(counted))
    trace.append([row async for row in collection.find({"r": 2}, {"r": True})])
    return trace


@settings(max_examples=60, deadline=None)
@given(ops=operations)
async def test_the_id_fast_path_returns_exactly_what_the_scan_returns(ops: list) -> None:
    scan_db = MemoryDatabase("scan")  # constructing installs the fast path: remove it after
    fastpath.uninstall()
    try:
        scanned = await apply(scan_db, ops)
    finally:
        fastpath.install()
    fast = await apply(MemoryDatabase("fast"), ops)
    assert fast == scanned


def test_only_exact_scalar_id_filters_take_the_fast_path() -> None:
    assert fastpath.exact_id({"_id": "c-1"}) == "c-1"
    assert fastpath.exact_id({"_id": 7}) == 7
    assert fastpath.exact_id({"_id": True}) is None
    assert fastpath.exact_id({"_id": {"$in": ["a"]}}) is None
    assert fastpath.exact_id({"_id": "a", "x": 1}) is None
    assert fastpath.exact_ids({"_id": {"$in": ["a", 7, "a"]}}) == ["a", 7]
    assert fastpath.exact_ids({"_id": {"$in": ["a", True]}}) is None
    assert fastpath.exact_ids({"_id": {"$nin": ["a"]}}) is None
    assert fastpath.exact_ids({"_id": {"$in": ["a"]}, "x": 1}) is None


async def test_a_failed_transaction_leaves_no_trace() -> None:
    db = MemoryDatabase("t")
    accounts = db.collection("accounts")
    await accounts.insert_one({"_id": "c-1", "points": 10})
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await accounts.update_one({"_id": "c-1"}, {"$inc": {"points": 5}})
            await accounts.insert_one({"_id": "c-2", "points": 1})
            await db.collection("processed").insert_one({"_id": "event-1"})
            raise RuntimeError("handler failed after writing")
    assert await accounts.find_one({"_id": "c-1"}) == {"_id": "c-1", "points": 10}
    assert await accounts.find_one({"_id": "c-2"}) is None
    assert await db.collection("processed").count_documents({}) == 0


async def test_writes_inside_a_transaction_are_visible_to_later_reads_in_it() -> None:
    db = MemoryDatabase("t")
    async with db.transaction():
        await db.collection("a").insert_one({"_id": "x", "n": 1})
        assert await db.collection("a").find_one({"_id": "x"}) == {"_id": "x", "n": 1}


async def test_committed_data_survives_a_restart(tmp_path: Path) -> None:
    db = MemoryDatabase("t", tmp_path)
    when = dt.datetime(2026, 11, 23, 9, 30, 1, 123456, tzinfo=dt.UTC)
    async with db.transaction():
        await db.collection("a").insert_one({"_id": "x", "n": 1, "at": when})
        await db.collection("b").insert_one({"_id": "y"})
    await db.collection("a").update_one({"_id": "x"}, {"$inc": {"n": 1}})
    await db.collection("b").delete_one({"_id": "y"})
    await db.durable()
    await db.close()

    reopened = MemoryDatabase("t", tmp_path)
    restored = await reopened.collection("a").find_one({"_id": "x"})
    assert restored == {"_id": "x", "n": 2, "at": when.replace(microsecond=123000)}
    assert await reopened.collection("b").find_one({"_id": "y"}) is None


async def test_a_torn_last_transaction_is_ignored_on_restart(tmp_path: Path) -> None:
    db = MemoryDatabase("t", tmp_path)
    await db.collection("a").insert_one({"_id": "kept"})
    await db.close()
    record = bson.encode({"e": [{"c": "a", "put": {"_id": "half-written", "n": 1}}]})
    with (tmp_path / "journal.bson").open("ab") as journal:
        journal.write(record[: len(record) // 2])  # killed mid-write
    reopened = MemoryDatabase("t", tmp_path)
    assert await reopened.collection("a").count_documents({}) == 1


async def test_a_large_journal_is_compacted_into_a_snapshot(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("shared.database.memory.COMPACT_AFTER_RECORDS", 10)
    db = MemoryDatabase("t", tmp_path)
    for _ in range(25):
        await db.collection("a").update_one({"_id": "x"}, {"$inc": {"n": 1}}, upsert=True)
    await db.close()
    assert (tmp_path / "snapshot.bson").exists()
    assert (tmp_path / "journal.bson").read_text() == ""
    reopened = MemoryDatabase("t", tmp_path)
    assert await reopened.collection("a").find_one({"_id": "x"}) == {"_id": "x", "n": 25}


async def test_a_document_a_real_server_could_not_store_is_refused() -> None:
    from decimal import Decimal

    db = MemoryDatabase("t")
    with pytest.raises(bson.errors.InvalidDocument):
        await db.collection("a").insert_one({"_id": "x", "amount": Decimal("1.5")})
    assert await db.collection("a").count_documents({}) == 0


async def test_an_index_follows_a_rolled_back_transaction() -> None:
    db = MemoryDatabase("t")
    calls = db.collection("calls")
    await calls.create_index("phone")
    await calls.insert_one({"_id": "a", "phone": "+1"})
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await calls.update_one({"_id": "a"}, {"$set": {"phone": "+2"}})
            await calls.insert_one({"_id": "b", "phone": "+2"})
            raise RuntimeError("failed")
    assert [row["_id"] for row in await calls.find({"phone": "+1"}).to_list()] == ["a"]
    assert await calls.find({"phone": "+2"}).to_list() == []
