"""The in-process MongoDB stand-in for the embedded mode (no MongoDB server runs here).

Built on mongomock, wrapped in PyMongo's async method names. What it adds:
- an O(1) path for exact-``_id`` filters (see ``fastpath``), so hot documents keyed by their
  natural id stay fast at 100,000 documents;
- transactions: writes inside ``transaction()`` are applied at once (so later reads see
  them), rolled back from before-images if the block raises, serialised against other
  writers, and journaled as one line on success;
- compact documents: each collection keeps its documents as BSON (``compact``), about a
  fifth of the memory of Python dicts, decoded when read;
- durability: with a data directory, committed transactions go to a checksummed journal
  that is replayed at start-up (see ``journal``); the directory is locked, so a second
  process (or database) opening it fails at once with ``DataDirectoryInUse``.

Limits, on purpose: secondary indexes are recorded but not enforced (unique keys are
modelled as documents keyed by ``_id``), non-``_id`` queries scan the collection, TTL
indexes do nothing, and one process owns a data directory.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import bson
import mongomock
from bson import ObjectId
from bson.raw_bson import RawBSONDocument
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, InsertManyResult, InsertOneResult, UpdateResult

from shared.database import fastpath
from shared.database.compact import CompactDocuments, compact_documents
from shared.database.journal import Journal
from shared.database.port import Document, Filter
from shared.database.postings import Postings, index_field

log = logging.getLogger(__name__)

COMPACT_AFTER_RECORDS = 20_000


class _Transaction:
    def __init__(self) -> None:
        self.before: list[tuple[CompactDocuments, Any, bytes | None]] = []  # (store, _id, BSON)
        self.touched: dict[tuple[str, Any], Any] = {}  # (collection, _id) -> store


_current: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar(
    "memory_transaction", default=None
)


class MemoryCursor:
    """A find() that runs when read: unsorted simple scans take the fast path (see
    ``fastpath.scan``); sorts and skips go through mongomock. Long reads yield to the event
    loop so a report does not stall consumers."""

    def __init__(self, collection: Any, filter: Document, projection: Any,
                 options: dict[str, Any], postings: Postings | None = None) -> None:
        self._collection = collection
        self._postings = postings
        self._filter = filter
        self._projection = projection
        self._options = options
        self._sort: tuple[Any, int | None] | None = None
        self._limit = 0
        self._skip = 0

    def sort(self, key: str | list[tuple[str, int]], direction: int | None = None) -> MemoryCursor:
        self._sort = (key, direction)
        return self

    def limit(self, count: int) -> MemoryCursor:
        self._limit = count
        return self

    def skip(self, count: int) -> MemoryCursor:
        self._skip = count
        return self

    def _rows(self) -> Iterator[Document]:
        if (fastpath.enabled() and self._sort is None and not self._skip and not self._options
                and fastpath.simple_projection(self._projection)):
            ids = fastpath.exact_ids(self._filter)
            if ids is not None:
                return fastpath.by_ids(self._collection, ids, self._projection, self._limit)
            candidates = None if self._postings is None else \
                self._postings.candidates(self._filter)
            if candidates is not None:
                return fastpath.by_candidates(self._collection, candidates, self._filter,
                                              self._projection, self._limit)
            return fastpath.scan(self._collection, self._filter, self._projection, self._limit)
        if (fastpath.enabled() and not self._filter and not self._skip and not self._options
                and self._sort in (("_id", 1), ("_id", None)) and self._limit
                and fastpath.simple_projection(self._projection)):
            # The outbox's relay: the oldest pending events (string ids sort as BSON does).
            store = compact_documents(self._collection._store)
            if all(type(key) is str for key in store):
                oldest = heapq.nsmallest(self._limit, store)
                return fastpath.by_ids(self._collection, oldest, self._projection)
        cursor = self._collection.find(self._filter, self._projection, **self._options)
        if self._sort is not None:
            key, direction = self._sort
            cursor = cursor.sort(key, direction) if direction else cursor.sort(key)
        if self._skip:
            cursor = cursor.skip(self._skip)
        if self._limit:
            cursor = cursor.limit(self._limit)
        return iter(cursor)

    async def to_list(self, length: int | None = None) -> list[Document]:
        rows: list[Document] = []
        async for row in self:
            rows.append(row)
            if length is not None and len(rows) >= length:
                break
        return rows

    async def __aiter__(self) -> AsyncIterator[Document]:
        for count, row in enumerate(self._rows(), 1):
            yield row
            if count % 1000 == 0:
                await asyncio.sleep(0)


class _Rows:
    """Rows of an aggregation, with the cursor methods PyMongo offers on them."""

    def __init__(self, rows: list[Document]) -> None:
        self._rows = rows

    def limit(self, count: int) -> _Rows:
        return _Rows(self._rows[:count])

    def skip(self, count: int) -> _Rows:
        return _Rows(self._rows[count:])

    async def to_list(self, length: int | None = None) -> list[Document]:
        return self._rows if length is None else self._rows[:length]

    async def __aiter__(self) -> AsyncIterator[Document]:
        for row in self._rows:
            yield row


class MemoryCollection:
    def __init__(self, database: MemoryDatabase, name: str) -> None:
        self.name = name
        self._db = database
        self._mock: Any = database._mock[name]  # mongomock ships no types
        self.indexes: list[tuple[Any, dict[str, Any]]] = []
        self.postings = Postings()

    @property
    def _docs(self) -> CompactDocuments:
        return compact_documents(self._mock._store)

    # reads -------------------------------------------------------------------------------
    async def find_one(self, filter: Filter, projection: Any = None) -> Document | None:
        key = fastpath.exact_id(filter) if fastpath.enabled() else None
        if key is not None and fastpath.simple_projection(projection):
            return fastpath.read_out(self._docs, key, projection)
        if (fastpath.enabled() and fastpath.simple_projection(projection)
                and self.postings.candidates(filter) is not None):
            rows = await self.find(filter, projection).limit(1).to_list()
            return rows[0] if rows else None
        return self._mock.find_one(dict(filter), projection)

    def find(
        self, filter: Filter | None = None, projection: Any = None, **kwargs: Any
    ) -> MemoryCursor:
        return MemoryCursor(self._mock, dict(filter or {}), projection, kwargs,
                            self.postings if fastpath.enabled() else None)

    async def count_documents(self, filter: Filter) -> int:
        if not filter:
            return len(self._docs)
        candidates = self.postings.candidates(filter) if fastpath.enabled() else None
        if candidates is not None:
            [(field, value)] = filter.items() if len(filter) == 1 else [(None, None)]
            if field is not None and type(value) in (str, int):
                return len(candidates)  # one equality on an indexed field: exactly these
            # else count the candidates that match, as a find would list them
            return sum(1 for _ in self.find(filter, {"_id": 1})._rows())
        return self._mock.count_documents(dict(filter))

    def aggregate(self, pipeline: Sequence[Mapping[str, Any]]) -> _Rows:
        return _Rows(list(self._mock.aggregate(list(pipeline))))

    # writes ------------------------------------------------------------------------------
    # Exact-_id inserts, replaces and deletes skip mongomock's update machinery and store
    # what a server would store (a BSON round trip: BSON types, naive UTC, milliseconds).
    # fastpath.uninstall() turns these off too, so the tests compare both ways.

    async def insert_one(self, document: Document) -> Any:
        if "_id" not in document:
            document["_id"] = ObjectId()  # as PyMongo does, on the caller's document
        key = document["_id"]
        if not fastpath.enabled() or fastpath.exact_id({"_id": key}) is None:
            _check_bson(document)
            return await self._db._write(self, lambda: self._mock.insert_one(document), [],
                                         _ids_of)
        encoded = _encoded(document)
        store = self._docs

        def insert() -> InsertOneResult:
            if key in store:
                raise DuplicateKeyError(
                    f"E11000 duplicate key error collection: {self.name} index: _id_",
                    code=11000)
            store.put_raw(key, encoded)
            return InsertOneResult(key, acknowledged=True)

        return await self._db._write(self, insert, [], _ids_of)

    async def insert_many(self, documents: Sequence[Document]) -> Any:
        for document in documents:
            if "_id" not in document:
                document["_id"] = ObjectId()  # as PyMongo does, on the caller's documents
        docs = list(documents)
        encoded = [_encoded(document) for document in docs]  # refused as a server would
        keys = [document["_id"] for document in docs]
        store = self._docs
        if (not fastpath.enabled() or any(fastpath.exact_id({"_id": key}) is None for key in keys)
                or len(set(keys)) != len(keys) or any(key in store for key in keys)):
            # Duplicates and unusual ids: mongomock's own insert, with its ordered
            # BulkWriteError (what a server answers too).
            return await self._db._write(self, lambda: self._mock.insert_many(docs), [],
                                         _ids_of)

        def insert() -> InsertManyResult:
            for key, raw in zip(keys, encoded, strict=True):
                store.put_raw(key, raw)
            return InsertManyResult(keys, acknowledged=True)

        return await self._db._write(self, insert, [], _ids_of)

    async def update_one(self, filter: Filter, update: Any, upsert: bool = False) -> Any:
        _check_bson({"u": update})
        key = fastpath.exact_id(filter) if fastpath.enabled() else None
        if key is not None and _simple_update(update):
            return await self._update_by_id(key, update, upsert)
        ids = self._matching(filter, one=True)
        return await self._db._write(
            self, lambda: self._mock.update_one(dict(filter), update, upsert=upsert), ids, _ids_of
        )

    async def _update_by_id(self, key: Any, update: Mapping[str, Any], upsert: bool) -> Any:
        """``$set``/``$setOnInsert``/``$inc`` of top-level fields on one ``_id``, applied to
        the stored document directly (mongomock's update copies the collection's store)."""
        store = self._docs
        document = store.get(key)
        if document is None and not upsert:
            return UpdateResult({"n": 0, "nModified": 0, "ok": 1.0}, acknowledged=True)
        changed: Document = {"_id": key} if document is None else dict(document)
        changed.update(update.get("$set", {}))
        if document is None:
            changed.update(update.get("$setOnInsert", {}))
        for field, amount in update.get("$inc", {}).items():
            current = changed.get(field, 0)
            if type(current) not in (int, float) or type(amount) not in (int, float):
                ids = [key] if document is not None else []
                return await self._db._write(  # mongomock's own error for a non-number
                    self, lambda: self._mock.update_one({"_id": key}, update, upsert=upsert),
                    ids, _ids_of)
            changed[field] = current + amount
        encoded = _encoded(changed)
        return await self._db._write(self, lambda: _put_by_id(store, key, encoded, upsert=True),
                                     [key] if key in store else [], _ids_of)

    async def update_many(self, filter: Filter, update: Any) -> Any:
        _check_bson({"u": update})
        ids = self._matching(filter, one=False)
        return await self._db._write(
            self, lambda: self._mock.update_many(dict(filter), update), ids, _ids_of
        )

    async def replace_one(self, filter: Filter, document: Document, upsert: bool = False) -> Any:
        if any(str(field).startswith("$") for field in document):
            _check_bson(document)
            raise ValueError("replacement can not include $ operators")
        key = fastpath.exact_id(filter) if fastpath.enabled() else None
        if key is None or document.get("_id", key) != key:
            _check_bson(document)
            ids = self._matching(filter, one=True)
            return await self._db._write(
                self, lambda: self._mock.replace_one(dict(filter), document, upsert=upsert),
                ids, _ids_of)
        encoded = _encoded({"_id": key, **document})
        store = self._docs
        return await self._db._write(self, lambda: _put_by_id(store, key, encoded, upsert),
                                     [key] if key in store else [], _ids_of)

    async def delete_one(self, filter: Filter) -> Any:
        key = fastpath.exact_id(filter) if fastpath.enabled() else None
        if key is None:
            ids = self._matching(filter, one=True)
            return await self._db._write(self, lambda: self._mock.delete_one(dict(filter)),
                                         ids, None)
        store = self._docs

        def delete() -> DeleteResult:
            found = key in store
            if found:
                del store[key]
            return DeleteResult({"n": int(found), "ok": 1.0}, acknowledged=True)

        return await self._db._write(self, delete, [key] if key in store else [], None)

    async def delete_many(self, filter: Filter) -> Any:
        ids = self._matching(filter, one=False)
        if fastpath.enabled() and (fastpath.exact_ids(filter) is not None
                                   or self.postings.candidates(filter) is not None):
            store = self._docs

            def delete() -> DeleteResult:  # the outbox's relay: pop the published ids
                for key in ids:
                    del store[key]  # ids: those present, found just before
                return DeleteResult({"n": len(ids), "ok": 1.0}, acknowledged=True)

            return await self._db._write(self, delete, ids, None)
        return await self._db._write(self, lambda: self._mock.delete_many(dict(filter)), ids, None)

    async def create_index(self, keys: Any, **kwargs: Any) -> str:
        # Recorded; an index on one field answers equality and $in (``postings``). Unique
        # and TTL options are not enforced (see the module docstring).
        self.indexes.append((keys, kwargs))
        field = index_field(keys, kwargs)
        if field is not None:
            documents = self._docs
            self.postings.add_field(field, ((key, documents[key]) for key in documents))
        return str(keys)

    def _reindex(self, keys: Iterable[Any]) -> None:
        if not self.postings.fields:
            return
        documents = self._docs
        for key in keys:
            self.postings.update(key, documents.get(key))

    def _matching(self, filter: Filter, one: bool) -> list[Any]:
        key = fastpath.exact_id(filter)
        if key is not None:
            return [key] if key in self._docs else []
        keys = fastpath.exact_ids(filter) if fastpath.enabled() else None
        if keys is not None:
            found = [key for key in keys if key in self._docs]
            return found[:1] if one else found
        if fastpath.enabled() and self.postings.candidates(filter) is not None:
            rows = fastpath.by_candidates(self._mock, self.postings.candidates(filter) or [],
                                          dict(filter), {"_id": 1}, 1 if one else 0)
            return [row["_id"] for row in rows]
        cursor = self._mock.find(dict(filter), {"_id": 1})
        if one:
            cursor = cursor.limit(1)
        return [row["_id"] for row in cursor]


def _ids_of(result: Any) -> list[Any]:
    if hasattr(result, "inserted_ids"):
        return list(result.inserted_ids)
    for attribute in ("inserted_id", "upserted_id"):
        value = getattr(result, attribute, None)
        if value is not None:
            return [value]
    return []


def _put_by_id(store: CompactDocuments, key: Any, encoded: bytes, upsert: bool) -> UpdateResult:
    """Store a document's new bytes under its ``_id``, answering as a server's update does."""
    existing = store.raw(key)
    if existing is None and not upsert:
        return UpdateResult({"n": 0, "nModified": 0, "ok": 1.0}, acknowledged=True)
    store.put_raw(key, encoded)
    if existing is None:
        return UpdateResult({"n": 1, "nModified": 0, "upserted": key, "ok": 1.0},
                            acknowledged=True)
    return UpdateResult({"n": 1, "nModified": int(existing != encoded), "ok": 1.0},
                        acknowledged=True)


_SIMPLE_OPERATORS = {"$set", "$setOnInsert", "$inc"}


def _simple_update(update: Any) -> bool:
    """An update of top-level fields only, by ``$set``, ``$setOnInsert`` and ``$inc``."""
    if not isinstance(update, Mapping) or not update or not set(update) <= _SIMPLE_OPERATORS:
        return False
    if not all(isinstance(values, Mapping) for values in update.values()):
        return False
    fields = [field for values in update.values() for field in values]
    return len(set(fields)) == len(fields) and all(
        isinstance(field, str) and field and "." not in field and not field.startswith("$")
        and field != "_id" for field in fields)


def _encoded(document: Mapping[str, Any]) -> bytes:
    """The document as a server stores it (BSON); refused as ``_check_bson`` refuses what a
    server could not store."""
    try:
        return bson.encode(document)
    except (bson.errors.InvalidDocument, TypeError, OverflowError) as error:
        raise bson.errors.InvalidDocument(f"cannot store this document: {error}") from error


def _check_bson(document: Mapping[str, Any]) -> None:
    """Refuse what PyMongo could not encode (a Decimal, a set...), as a real server would."""
    _encoded(document)


class MemoryDatabase:
    """One service's stand-in database, optionally journaled to ``data_dir``."""

    def __init__(self, name: str, data_dir: Path | None = None, fsync: bool = True) -> None:
        fastpath.install()
        self.name = name
        self._mock: Any = mongomock.MongoClient(tz_aware=True)[name]
        self._collections: dict[str, MemoryCollection] = {}
        self._lock = asyncio.Lock()
        self._journal: Journal | None = None
        if data_dir is not None:
            # Locks the directory: DataDirectoryInUse if another process (or another
            # database in this one) has it, so a second start fails here, saying so.
            self._journal = Journal(data_dir, fsync=fsync)
            try:
                self._load()
            except BaseException:
                self._journal.close()
                raise

    def collection(self, name: str) -> MemoryCollection:
        if name not in self._collections:
            self._collections[name] = MemoryCollection(self, name)
        return self._collections[name]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if _current.get() is not None:  # nested: join the outer transaction
            yield
            return
        async with self._lock:
            tx = _Transaction()
            token = _current.set(tx)
            try:
                yield
            except BaseException:
                self._rollback(tx)
                raise
            finally:
                _current.reset(token)
            self._commit(tx)

    def unit_of_work(self) -> Any:
        # Writes here are dictionary updates already: a unit is one transaction, one
        # journal line, with nothing to keep back or read ahead.
        return self.transaction()

    async def preload(self, collection: str, ids: Iterable[Any]) -> None:
        return None

    async def _write(
        self, collection: MemoryCollection, apply: Any, ids: list[Any], new_ids: Any
    ) -> Any:
        """Apply a write in the current transaction (or its own), remembering the before-
        images (BSON) of ``ids`` and of what it creates."""
        tx = _current.get()
        if tx is None:
            async with self.transaction():
                return await self._write(collection, apply, ids, new_ids)
        store = collection._docs
        for _id in ids:
            self._remember(tx, collection.name, store, _id)
        with store.writing():
            result = apply()
        created = new_ids(result) if new_ids else []
        for _id in created:
            self._remember(tx, collection.name, store, _id, created=True)
        collection._reindex([*ids, *created])
        return result

    @staticmethod
    def _remember(tx: _Transaction, name: str, store: CompactDocuments, _id: Any,
                  created: bool = False) -> None:
        if (name, _id) not in tx.touched:
            tx.touched[(name, _id)] = store
            tx.before.append((store, _id, None if created else store.raw(_id)))

    def _rollback(self, tx: _Transaction) -> None:
        for store, _id, image in reversed(tx.before):
            if image is None:
                if _id in store:
                    del store[_id]
            else:
                store.put_raw(_id, image)
        for (name, _id) in tx.touched:
            if name in self._collections:
                self._collections[name]._reindex([_id])

    def _commit(self, tx: _Transaction) -> None:
        if self._journal is None:
            return
        entries: list[dict[str, Any]] = []
        for (name, _id), store in tx.touched.items():  # the final image of each document
            encoded = store.raw(_id)
            entries.append({"c": name, "put": RawBSONDocument(encoded)} if encoded is not None
                           else {"c": name, "del": _id})
        self._journal.append(entries)

    async def durable(self) -> None:
        if self._journal is not None:
            self._journal.sync()

    async def scrub(self) -> None:
        # The journal still holds the after-images of removed documents: a snapshot of the
        # live documents replaces both files (seconds at a few hundred thousand documents).
        if self._journal is not None:
            async with self._lock:
                self._journal.scrub(self._entries())

    async def check_deployment(self) -> None:
        return None  # one process, its own directory: nothing to refuse

    async def verify_indexes(self) -> None:
        return None  # the stand-in records indexes as asked (see create_index)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        if self._journal is not None:
            if self._journal.records > COMPACT_AFTER_RECORDS:
                self._journal.compact(self._entries())
            self._journal.close()

    def _load(self) -> None:
        assert self._journal is not None
        count = 0
        for entry in self._journal.replay():
            documents = compact_documents(self._mock[entry["c"]]._store)
            if "put" in entry:
                document = entry["put"]
                documents.put_raw(document["_id"], bson.encode(document))
            elif entry["del"] in documents:
                del documents[entry["del"]]
            count += 1
        if count:
            log.info("restored %d journal entries for %s", count, self.name)
        self._journal.open()  # cuts a torn or corrupt tail back before anything is appended
        if self._journal.records > COMPACT_AFTER_RECORDS:
            self._journal.compact(self._entries())

    def _entries(self) -> Iterator[dict[str, Any]]:
        for name in self._mock.list_collection_names():
            documents = compact_documents(self._mock[name]._store)
            for key in documents:
                encoded = documents.raw(key)
                if encoded is not None:
                    yield {"c": name, "put": RawBSONDocument(encoded)}
