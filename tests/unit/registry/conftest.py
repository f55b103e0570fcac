"""Fixtures for the registry's use cases: a fresh stand-in database, seeded, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry import handlers
from services.registry.domain import RegistrationRequest
from services.registry.repository import RegistryRepository
from shared.database.memory import MemoryDatabase


@pytest.fixture
async def repo() -> AsyncIterator[RegistryRepository]:
    db = MemoryDatabase("test")
    repository = RegistryRepository(db)
    async with db.transaction():
        await handlers.seed_default_categories(repository)
    yield repository
    await db.close()


def registration(**overrides: Any) -> RegistrationRequest:
    fields: dict[str, Any] = {
        "full_name": "Anna Petrova", "phone": "8 900 123-45-67", "country": "RU",
    }
    return RegistrationRequest.model_validate(fields | overrides)
