"""The production adapter: PyMongo's asyncio API (``AsyncMongoClient``).

Transactions need a replica set (the production shape in ``deploy/``). Writes inside
``transaction()`` join the session held in a context variable, so repositories need not
pass sessions around.

``unit_of_work()`` is a transaction for many events at once (the consume path's units):
documents named in advance (``preload``) are read with one query per collection, and writes
are kept and sent as one ordered ``bulk_write`` per collection, when a read needs them or
at the end. The handlers' code is the same as in a plain transaction; what differs:
- a write's result is known only when it is sent: reading one (``matched_count``...) raises
  ``DeferredResult``, and a write error (a duplicate key) surfaces when the writes are sent;
  either way the consume path applies the unit's events again one by one, in plain
  transactions, where results and errors come at once;
- deletes are sent at once (their counts are used), after the writes kept before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.results import InsertManyResult, InsertOneResult

from shared.database import fastpath
from shared.database.port import DeferredResult, DeploymentRefused, Document, Filter
from shared.retries import UNKNOWN_COMMIT_LABEL, backoff_s, has_label

_session: contextvars.ContextVar[AsyncClientSession | None] = contextvars.ContextVar(
    "mongo_session", default=None
)


class _Deferred:
    """The result of a kept write: known only once sent (see the module docstring)."""

    acknowledged = True

    def __getattr__(self, name: str) -> Any:
        raise DeferredResult(f"{name} of a write kept for the unit's bulk write")


@dataclass
class _Unit:
    """A unit of work's kept writes and preloaded documents, per collection."""

    session: AsyncClientSession
    collections: dict[str, Any] = field(default_factory=dict)  # name -> PyMongo collection
    kept: dict[str, list[Any]] = field(default_factory=dict)  # name -> bulk ops, in order
    written: dict[str, set[Any]] = field(default_factory=dict)  # exact _ids kept, per name
    opaque: set[str] = field(default_factory=set)  # a kept write by another filter
    loaded: dict[str, dict[Any, Document | None]] = field(default_factory=dict)

    def keep(self, collection: Any, operation: Any, key: Any | None) -> None:
        name = collection.name
        self.collections[name] = collection
        self.kept.setdefault(name, []).append(operation)
        if key is None:
            self.opaque.add(name)
            self.loaded.pop(name, None)
        else:
            self.written.setdefault(name, set()).add(key)
            self.loaded.get(name, {}).pop(key, None)

    def cached(self, name: str, key: Any) -> tuple[bool, Document | None]:
        documents = self.loaded.get(name)
        if documents is None or key not in documents:
            return False, None
        document = documents[key]
        return True, None if document is None else copy.deepcopy(document)

    async def before_read(self, name: str, key: Any | None = None) -> None:
        """Send what a read of ``name`` (of one ``_id``, or any) could otherwise miss."""
        if name not in self.kept:
            return
        if key is None or name in self.opaque or key in self.written.get(name, ()):
            await self.send(name)

    async def send(self, name: str) -> None:
        operations = self.kept.pop(name, None)
        self.written.pop(name, None)
        self.opaque.discard(name)
        if operations:
            await self.collections[name].bulk_write(operations, ordered=True,
                                                    session=self.session)

    async def send_all(self) -> None:
        for name in list(self.kept):
            await self.send(name)


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("mongo_unit", default=None)


class _UnitCursor:
    """A find inside a unit of work: the kept writes to its collection are sent first."""

    def __init__(self, cursor: Any, unit: _Unit, name: str) -> None:
        self._cursor, self._unit, self._name = cursor, unit, name

    def sort(self, key: Any, direction: int | None = None) -> _UnitCursor:
        self._cursor = self._cursor.sort(key, direction) if direction else self._cursor.sort(key)
        return self

    def limit(self, count: int) -> _UnitCursor:
        self._cursor = self._cursor.limit(count)
        return self

    def skip(self, count: int) -> _UnitCursor:
        self._cursor = self._cursor.skip(count)
        return self

    async def to_list(self, length: int | None = None) -> list[Document]:
        await self._unit.before_read(self._name)
        return list(await self._cursor.to_list(length))

    async def __aiter__(self) -> AsyncIterator[Document]:
        await self._unit.before_read(self._name)
        async for row in self._cursor:
            yield row


class MongoCollection:
    def __init__(self, collection: Any) -> None:
        self._c = collection
        self.name: str = collection.name
        self.requested: list[tuple[str, Any, dict[str, Any]]] = []  # create_index calls

    async def find_one(self, filter: Filter, projection: Any = None) -> Document | None:
        unit = _unit.get()
        if unit is not None:
            key = fastpath.exact_id(filter)
            if key is not None and fastpath.simple_projection(projection):
                found, document = unit.cached(self.name, key)
                if found:
                    return None if document is None else fastpath.projected(document, projection)
            await unit.before_read(self.name, key)
        return await self._c.find_one(filter, projection, session=_session.get())

    def find(self, filter: Filter | None = None, projection: Any = None, **kwargs: Any) -> Any:
        cursor = self._c.find(filter or {}, projection, session=_session.get(), **kwargs)
        unit = _unit.get()
        return cursor if unit is None else _UnitCursor(cursor, unit, self.name)

    async def count_documents(self, filter: Filter) -> int:
        if (unit := _unit.get()) is not None:
            await unit.before_read(self.name)
        if not filter:
            return int(await self._c.estimated_document_count())
        return int(await self._c.count_documents(filter, session=_session.get()))

    def aggregate(self, pipeline: Sequence[Mapping[str, Any]]) -> Any:
        return _AggregateCursor(self._c, list(pipeline))

    async def preload(self, ids: Iterable[Any]) -> None:
        """Inside a unit of work: read these documents with one query, so that the
        handlers' ``find_one`` by ``_id`` are answered without a round trip each."""
        unit = _unit.get()
        if unit is None:
            return
        known = unit.loaded.setdefault(self.name, {})
        wanted = [key for key in dict.fromkeys(ids)
                  if key not in known and key not in unit.written.get(self.name, ())]
        if not wanted:
            return
        await unit.before_read(self.name)
        rows = await self._c.find({"_id": {"$in": wanted}}, session=_session.get()).to_list()
        known.update(dict.fromkeys(wanted))
        known.update((row["_id"], row) for row in rows)

    async def insert_one(self, document: Document) -> Any:
        if (unit := _unit.get()) is not None:
            document.setdefault("_id", ObjectId())  # as PyMongo does, on the caller's document
            unit.keep(self._c, InsertOne(document), document["_id"])
            return InsertOneResult(document["_id"], acknowledged=True)
        return await self._c.insert_one(document, session=_session.get())

    async def insert_many(self, documents: Sequence[Document]) -> Any:
        if (unit := _unit.get()) is not None:
            for document in documents:
                document.setdefault("_id", ObjectId())
                unit.keep(self._c, InsertOne(document), document["_id"])
            return InsertManyResult([document["_id"] for document in documents],
                                    acknowledged=True)
        return await self._c.insert_many(list(documents), session=_session.get())

    async def update_one(self, filter: Filter, update: Any, upsert: bool = False) -> Any:
        if (unit := _unit.get()) is not None:
            unit.keep(self._c, UpdateOne(dict(filter), update, upsert=upsert),
                      fastpath.exact_id(filter))
            return _Deferred()
        return await self._c.update_one(filter, update, upsert=upsert, session=_session.get())

    async def update_many(self, filter: Filter, update: Any) -> Any:
        if (unit := _unit.get()) is not None:
            unit.keep(self._c, UpdateMany(dict(filter), update), None)
            return _Deferred()
        return await self._c.update_many(filter, update, session=_session.get())

    async def replace_one(self, filter: Filter, document: Document, upsert: bool = False) -> Any:
        if (unit := _unit.get()) is not None:
            unit.keep(self._c, ReplaceOne(dict(filter), document, upsert=upsert),
                      fastpath.exact_id(filter))
            return _Deferred()
        return await self._c.replace_one(filter, document, upsert=upsert, session=_session.get())

    async def delete_one(self, filter: Filter) -> Any:
        await self._before_delete(filter)
        return await self._c.delete_one(filter, session=_session.get())

    async def delete_many(self, filter: Filter) -> Any:
        await self._before_delete(filter)
        return await self._c.delete_many(filter, session=_session.get())

    async def _before_delete(self, filter: Filter) -> None:
        unit = _unit.get()
        if unit is not None:
            await unit.send(self.name)  # in order after the writes kept before it
            key = fastpath.exact_id(filter)
            if key is None:
                unit.loaded.pop(self.name, None)
            else:
                unit.loaded.get(self.name, {}).pop(key, None)

    async def create_index(self, keys: Any, **kwargs: Any) -> str:
        try:
            name = str(await self._c.create_index(keys, **kwargs))
        except OperationFailure as error:
            if error.code in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict
                code = (error.details or {}).get("codeName", error.code)
                raise DeploymentRefused(
                    f"collection {self._c.full_name}: an index on {_key_text(keys)} exists "
                    f"with other options than this version needs ({code}); drop it "
                    "(db.<collection>.dropIndex) and start again") from None
            raise
        self.requested.append((name, keys, kwargs))
        return name

    async def verify_indexes(self) -> list[str]:
        """What is wrong with the indexes this process created (empty: nothing): each must
        exist with the same keys, and a TTL index with the same expiry."""
        if not self.requested:
            return []
        found = {index["name"]: index async for index in await self._c.list_indexes()}
        problems = []
        for name, keys, options in self.requested:
            index = found.get(name)
            where = f"{self._c.full_name}.{name}"
            if index is None:
                problems.append(f"{where} is missing")
                continue
            wanted = [(field, direction) for field, direction in _key_pairs(keys)]
            if [(field, int(direction)) for field, direction in index["key"].items()] != wanted:
                problems.append(f"{where} has keys {dict(index['key'])}, not {dict(wanted)}")
            ttl = options.get("expireAfterSeconds")
            if ttl is not None and index.get("expireAfterSeconds") != ttl:
                problems.append(f"{where} expires after {index.get('expireAfterSeconds')} s, "
                                f"not {ttl} s")
        return problems


def _key_pairs(keys: Any) -> list[tuple[str, int]]:
    if isinstance(keys, str):
        return [(keys, 1)]
    return [(str(field), int(direction)) for field, direction in keys]


def _key_text(keys: Any) -> str:
    return ", ".join(field for field, _ in _key_pairs(keys))


class _AggregateCursor:
    """PyMongo's async ``aggregate`` is a coroutine; this gives it the cursor shape."""

    def __init__(self, collection: Any, pipeline: list[Any]) -> None:
        self._c = collection
        self._pipeline = pipeline

    async def to_list(self, length: int | None = None) -> list[Document]:
        if (unit := _unit.get()) is not None:
            await unit.send_all()  # a pipeline may read other collections ($lookup)
        cursor = await self._c.aggregate(self._pipeline, session=_session.get())
        return list(await cursor.to_list(length))


#: Times a commit whose outcome is unknown (its reply lost) is sent again, as PyMongo's
#: ``with_transaction`` does; a commit is idempotent on the server.
COMMIT_ATTEMPTS = 5


async def _commit(session: AsyncClientSession) -> None:
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            await session.commit_transaction()
            return
        except PyMongoError as error:
            unknown = has_label(error, UNKNOWN_COMMIT_LABEL)
            timed_out = isinstance(error, OperationFailure) and error.code == 50  # MaxTimeMS
            if not unknown or timed_out or attempt + 1 >= COMMIT_ATTEMPTS:
                raise
            await asyncio.sleep(backoff_s(attempt))


class MongoDatabase:
    def __init__(self, url: str, name: str, **client_options: Any) -> None:
        # tz_aware: datetimes come back in UTC, as the stand-in returns them.
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, connect=False, **client_options
        )
        self._db = self._client[name]
        self.name = name
        self._collections: dict[str, MongoCollection] = {}

    def collection(self, name: str) -> MongoCollection:
        if name not in self._collections:
            self._collections[name] = MongoCollection(self._db[name])
        return self._collections[name]

    async def check_deployment(self) -> None:
        """Refuse a server that cannot run this suite: transactions need a replica set
        (or a sharded cluster's mongos); a standalone ``mongod`` fails every one. Then the
        indexes this process created, verified."""
        hello = await self._client.admin.command("hello")
        if not hello.get("setName") and hello.get("msg") != "isdbgrid":
            raise DeploymentRefused(
                "MONGODB_URL points at a standalone MongoDB server: the services write in "
                "transactions, which need a replica set (or a sharded cluster's mongos). Run "
                "mongod with --replSet and rs.initiate() once (a one-member replica set is "
                "enough), then name it in the URL: mongodb://HOST:27017/?replicaSet=NAME "
                "(deploy/README.md)")

    async def verify_indexes(self) -> None:
        problems = [problem for collection in self._collections.values()
                    for problem in await collection.verify_indexes()]
        if problems:
            raise DeploymentRefused("the database's indexes are not as this version "
                                    "created them: " + "; ".join(problems))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if _session.get() is not None:
            yield
            return
        async with self._client.start_session() as session:
            await session.start_transaction()
            token = _session.set(session)
            try:
                yield
            except BaseException:
                if session.in_transaction:
                    with contextlib.suppress(PyMongoError):  # the server aborts it anyway
                        await session.abort_transaction()
                raise
            finally:
                _session.reset(token)
            await _commit(session)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        if _session.get() is not None:  # inside a transaction already: plain writes
            yield
            return
        async with self.transaction():
            session = _session.get()
            assert session is not None
            unit = _Unit(session)
            token = _unit.set(unit)
            try:
                yield
                await unit.send_all()
            finally:
                _unit.reset(token)

    async def preload(self, collection: str, ids: Iterable[Any]) -> None:
        await self.collection(collection).preload(ids)

    async def durable(self) -> None:
        # A committed transaction with the default majority write concern is durable.
        return None

    async def scrub(self) -> None:
        # MongoDB frees a removed document's space itself; its oplog keeps the change for
        # the oplog window (hours to days, set by the cluster's operators).
        return None

    async def ping(self) -> None:
        await self._client.admin.command("ping")

    async def close(self) -> None:
        await self._client.close()
