"""Fault injection for the fault tests: make a running service's database fail for a while.

Enabled only with ``CRM_FAULTS_ENABLED=true`` (never in production); then an admin may
``POST /admin/faults {"database_unavailable_s": 5}``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.auth import Role, require
from shared.database import Collection, Database
from shared.errors import Unavailable


class FaultClock:
    def __init__(self) -> None:
        self.database_down_until = 0.0

    def check(self) -> None:
        if time.monotonic() < self.database_down_until:
            raise Unavailable("injected database outage")


class _FaultyCollection:
    def __init__(self, inner: Collection, clock: FaultClock) -> None:
        self._inner = inner
        self._clock = clock
        self.name = inner.name

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._inner, attribute)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self._clock.check()
            return target(*args, **kwargs)

        return call


class FaultyDatabase:
    """Wraps a database; every call fails with ``Unavailable`` while an outage is on."""

    def __init__(self, inner: Database, clock: FaultClock) -> None:
        self._inner = inner
        self._clock = clock

    def collection(self, name: str) -> Any:
        return _FaultyCollection(self._inner.collection(name), self._clock)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self._clock.check()
        async with self._inner.transaction():
            yield

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        self._clock.check()
        async with self._inner.unit_of_work():
            yield

    async def preload(self, collection: str, ids: Iterable[Any]) -> None:
        self._clock.check()
        await self._inner.preload(collection, ids)

    async def durable(self) -> None:
        self._clock.check()
        await self._inner.durable()

    async def scrub(self) -> None:
        self._clock.check()
        await self._inner.scrub()

    async def ping(self) -> None:
        self._clock.check()
        await self._inner.ping()

    async def check_deployment(self) -> None:
        await self._inner.check_deployment()

    async def verify_indexes(self) -> None:
        await self._inner.verify_indexes()

    async def close(self) -> None:
        await self._inner.close()


class FaultRequest(BaseModel):
    database_unavailable_s: float = Field(ge=0, le=600)


def fault_routes(clock: FaultClock) -> APIRouter:
    router = APIRouter(tags=["faults"], include_in_schema=False)

    @router.post("/admin/faults", dependencies=[require(Role.ADMIN)])
    async def inject(request: FaultRequest) -> dict[str, float]:
        clock.database_down_until = time.monotonic() + request.database_unavailable_s
        return {"database_unavailable_s": request.database_unavailable_s}

    return router
