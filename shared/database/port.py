"""The database port: the subset of PyMongo's async API the services use.

Two adapters implement it: ``MongoDatabase`` over ``pymongo.AsyncMongoClient`` and
``MemoryDatabase``, the in-process stand-in for the embedded mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Document = dict[str, Any]


class DeferredResult(RuntimeError):
    """A write kept for a unit of work's bulk write had its result read before it was sent
    (see ``Database.unit_of_work``): a handler to fix, or to run outside units."""


class DeploymentRefused(RuntimeError):
    """The database server cannot run the suite as configured (a standalone server, an
    index with other options); the message says what to change. The service does not start."""


Filter = Mapping[str, Any]


class Cursor(Protocol):
    def sort(self, key: str | list[tuple[str, int]], direction: int | None = None) -> Cursor: ...
    def limit(self, count: int) -> Cursor: ...
    def skip(self, count: int) -> Cursor: ...
    async def to_list(self, length: int | None = None) -> list[Document]: ...
    def __aiter__(self) -> Any: ...


class Rows(Protocol):
    """The result of an aggregation."""

    async def to_list(self, length: int | None = None) -> list[Document]: ...


class Collection(Protocol):
    """One collection; every write joins the current transaction, if any."""

    name: str

    async def find_one(self, filter: Filter, projection: Any = None) -> Document | None: ...
    def find(self, filter: Filter | None = None, projection: Any = None) -> Cursor: ...
    async def count_documents(self, filter: Filter) -> int: ...
    def aggregate(self, pipeline: Sequence[Mapping[str, Any]]) -> Rows: ...
    async def insert_one(self, document: Document) -> Any: ...
    async def insert_many(self, documents: Sequence[Document]) -> Any: ...
    async def update_one(self, filter: Filter, update: Any, upsert: bool = False) -> Any: ...
    async def update_many(self, filter: Filter, update: Any) -> Any: ...
    async def replace_one(
        self, filter: Filter, document: Document, upsert: bool = False
    ) -> Any: ...
    async def delete_one(self, filter: Filter) -> Any: ...
    async def delete_many(self, filter: Filter) -> Any: ...
    async def create_index(self, keys: Any, **kwargs: Any) -> str: ...


class Database(Protocol):
    """A service's own database."""

    def collection(self, name: str) -> Collection: ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """All writes inside commit together or not at all."""
        ...

    def unit_of_work(self) -> AbstractAsyncContextManager[None]:
        """A transaction for many events at once: like ``transaction()``, except that an
        adapter may keep writes and send them in bulk at its end (a kept write's result is
        then not readable), and answer ``find_one`` by ``_id`` from ``preload``."""
        ...

    async def preload(self, collection: str, ids: Iterable[Any]) -> None:
        """Inside ``unit_of_work()``: read these documents of ``collection`` at once."""
        ...

    async def durable(self) -> None:
        """Return once every committed transaction would survive a crash of this process."""
        ...

    async def scrub(self) -> None:
        """Rewrite the storage files so that removed documents leave no copy behind (after
        an erasure). Call outside a transaction."""
        ...

    async def check_deployment(self) -> None:
        """Raise ``DeploymentRefused`` when the server cannot run the suite."""
        ...

    async def verify_indexes(self) -> None:
        """Raise ``DeploymentRefused`` unless every index created by this process exists as
        it was asked for (keys, expiry)."""
        ...

    async def ping(self) -> None: ...
    async def close(self) -> None: ...
