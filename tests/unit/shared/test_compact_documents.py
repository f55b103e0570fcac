"""The stand-in keeps documents as BSON: mongomock's in-place updates still land, reads keep
nothing decoded, rollbacks restore, and a restart reads back what was written."""

import datetime as dt
from pathlib import Path

import pytest

from shared.database import fastpath
from shared.database.compact import CompactDocuments
from shared.database.memory import MemoryDatabase

WHEN = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)


def store(db: MemoryDatabase, name: str) -> CompactDocuments:
    return db.collection(name)._docs


@pytest.mark.parametrize("fast", [True, False])
async def test_updates_through_mongomock_land_in_the_compact_store(fast: bool) -> None:
    db = MemoryDatabase("t")
    if not fast:
        fastpath.uninstall()
    try:
        accounts = db.collection("accounts")
        await accounts.insert_many([{"_id": f"a-{n}", "n": n, "tier": "standard"}
                                    for n in range(5)])
        await accounts.update_one({"_id": "a-1"}, {"$inc": {"n": 10}, "$push": {"log": 1}})
        await accounts.update_many({"n": {"$gte": 3}}, {"$set": {"tier": "gold", "at": WHEN}})
        await accounts.update_one({"_id": "a-9"}, {"$set": {"nested.v": 2}}, upsert=True)
        assert await accounts.find_one({"_id": "a-1"}) == {
            "_id": "a-1", "n": 11, "tier": "gold", "log": [1], "at": WHEN}
        gold = await accounts.find({"tier": "gold"}, {"_id": 1}).to_list()
        assert sorted(row["_id"] for row in gold) == ["a-1", "a-3", "a-4"]
        assert await accounts.find_one({"_id": "a-9"}) == {"_id": "a-9", "nested": {"v": 2}}
        assert await accounts.count_documents({}) == 6
    finally:
        fastpath.install()
    documents = store(db, "accounts")
    assert not documents._live  # nothing kept decoded after the writes
    assert all(isinstance(documents.raw(key), bytes) for key in documents)


async def test_reads_keep_nothing_decoded() -> None:
    db = MemoryDatabase("t")
    cards = db.collection("cards")
    await cards.insert_many([{"_id": f"c-{n}", "n": n} for n in range(100)])
    await cards.find_one({"_id": "c-5"})
    await cards.find({"n": {"$lt": 50}}).to_list()
    await cards.find({}).sort("n", -1).limit(3).to_list()
    await cards.find({"_id": {"$in": ["c-1", "c-2"]}}).to_list()
    assert not store(db, "cards")._live


async def test_a_failed_transaction_restores_updated_replaced_and_deleted_documents() -> None:
    db = MemoryDatabase("t")
    accounts = db.collection("accounts")
    await accounts.insert_many([{"_id": "a", "n": 1}, {"_id": "b", "n": 2}, {"_id": "c", "n": 3}])
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await accounts.update_one({"_id": "a"}, {"$inc": {"n": 5}})
            await accounts.replace_one({"_id": "b"}, {"n": 20})
            await accounts.delete_one({"_id": "c"})
            await accounts.insert_one({"_id": "d", "n": 4})
            await accounts.update_many({}, {"$set": {"touched": True}})
            raise RuntimeError("the handler failed")
    rows = await accounts.find({}).sort("_id", 1).to_list()
    assert rows == [{"_id": "a", "n": 1}, {"_id": "b", "n": 2}, {"_id": "c", "n": 3}]


async def test_a_restart_reads_back_the_compact_documents(tmp_path: Path) -> None:
    db = MemoryDatabase("t", tmp_path)
    accounts = db.collection("accounts")
    await accounts.insert_one({"_id": "a", "at": WHEN, "tags": ["x"]})
    await accounts.update_one({"_id": "a"}, {"$push": {"tags": "y"}})
    await accounts.insert_one({"_id": "b"})
    await accounts.delete_one({"_id": "b"})
    await db.durable()
    await db.close()
    again = MemoryDatabase("t", tmp_path)
    assert await again.collection("accounts").find({}).to_list() == [
        {"_id": "a", "at": WHEN, "tags": ["x", "y"]}]
