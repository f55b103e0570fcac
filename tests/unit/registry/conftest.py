"""Fixtures for the registry's use cases: a fresh stand-in database, seeded, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry import handlers
from services.registry.api.schemas import RegistrationRequest
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Principal, Role
from shared.database.memory import MemoryDatabase

#: A person signed in as themselves, as the registry's use cases receive them.
OPERATOR = Principal(Role.OPERATOR, "op-1234abcd", person=True, display_name="Anna Operator")


def audit(repo: RegistryRepository) -> AuditTrail:
    """The registry's history, in the repository's database."""
    return AuditTrail(repo.db)


@pytest.fixture
async def repo() -> AsyncIterator[RegistryRepository]:
    db = MemoryDatabase("test")
    repository = RegistryRepository(db)
    async with db.transaction():
        await handlers.seed_default_categories(repository)
        await handlers.seed_default_sources(repository)
    yield repository
    await db.close()


def registration(**overrides: Any) -> RegistrationRequest:
    fields: dict[str, Any] = {
        "full_name": "Anna Petrova", "phone": "8 900 123-45-67", "country": "RU",
    }
    return RegistrationRequest.model_validate(fields | overrides)
