"""The production adapter: PyMongo's asyncio API (``AsyncMongoClient``).

Transactions need a replica set (the production shape in ``deploy/``). Writes inside
``transaction()`` join the session held in a context variable, so repositories need not
pass sessions around.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.database.port import Document, Filter

_session: contextvars.ContextVar[AsyncClientSession | None] = contextvars.ContextVar(
    "mongo_session", default=None
)


class MongoCollection:
    def __init__(self, collection: Any) -> None:
        self._c = collection
        self.name: str = collection.name

    async def find_one(self, filter: Filter, projection: Any = None) -> Document | None:
        return await self._c.find_one(filter, projection, session=_session.get())

    def find(self, filter: Filter | None = None, projection: Any = None, **kwargs: Any) -> Any:
        return self._c.find(filter or {}, projection, session=_session.get(), **kwargs)

    async def count_documents(self, filter: Filter) -> int:
        if not filter:
            return int(await self._c.estimated_document_count())
        return int(await self._c.count_documents(filter, session=_session.get()))

    def aggregate(self, pipeline: Sequence[Mapping[str, Any]]) -> Any:
        return _AggregateCursor(self._c, list(pipeline))

    async def insert_one(self, document: Document) -> Any:
        return await self._c.insert_one(document, session=_session.get())

    async def insert_many(self, documents: Sequence[Document]) -> Any:
        return await self._c.insert_many(list(documents), session=_session.get())

    async def update_one(self, filter: Filter, update: Any, upsert: bool = False) -> Any:
        return await self._c.update_one(filter, update, upsert=upsert, session=_session.get())

    async def update_many(self, filter: Filter, update: Any) -> Any:
        return await self._c.update_many(filter, update, session=_session.get())

    async def replace_one(self, filter: Filter, document: Document, upsert: bool = False) -> Any:
        return await self._c.replace_one(filter, document, upsert=upsert, session=_session.get())

    async def delete_one(self, filter: Filter) -> Any:
        return await self._c.delete_one(filter, session=_session.get())

    async def delete_many(self, filter: Filter) -> Any:
        return await self._c.delete_many(filter, session=_session.get())

    async def create_index(self, keys: Any, **kwargs: Any) -> str:
        return str(await self._c.create_index(keys, **kwargs))


class _AggregateCursor:
    """PyMongo's async ``aggregate`` is a coroutine; this gives it the cursor shape."""

    def __init__(self, collection: Any, pipeline: list[Any]) -> None:
        self._c = collection
        self._pipeline = pipeline

    async def to_list(self, length: int | None = None) -> list[Document]:
        cursor = await self._c.aggregate(self._pipeline, session=_session.get())
        return list(await cursor.to_list(length))


class MongoDatabase:
    def __init__(self, url: str, name: str, **client_options: Any) -> None:
        # tz_aware: datetimes come back in UTC, as the stand-in returns them.
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, connect=False, **client_options
        )
        self._db = self._client[name]
        self.name = name

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._db[name])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if _session.get() is not None:
            yield
            return
        async with self._client.start_session() as session, await session.start_transaction():
            token = _session.set(session)
            try:
                yield
            finally:
                _session.reset(token)

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
