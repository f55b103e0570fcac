"""Customers stored before search existed get their keys once, in batches."""

from __future__ import annotations

from services.registry.handlers import search
from services.registry.repository import RegistryRepository
from shared.database.memory import MemoryDatabase


async def test_every_stored_customer_is_found_after_the_first_start_and_once_only() -> None:
    db = MemoryDatabase("crm_registry")
    repo = RegistryRepository(db)
    async with db.transaction():
        for number, name in enumerate(["Анна Петрова", "Reza Ahmadi", "محمد رضایی"] * 5):
            await repo.add_customer(f"c-{number:032x}", {"full_name": name, "phone": "+7",
                                                         "email": f"p{number}@example.org"})
    assert await search.index_all(repo, db.transaction, batch=4) == 15
    assert await search.index_all(repo, db.transaction, batch=4) == 0  # the scheme is built

    found = await search.search(repo, "petrova", "RU", offset=0, limit=20)
    assert found["total"] == 5 and {item["full_name"] for item in found["items"]} == {
        "Анна Петрова"}
    by_email = await search.search(repo, "p7@example.org", "RU", offset=0, limit=20)
    assert [item["customer_id"] for item in by_email["items"]] == [f"c-{7:032x}"]
    persian = await search.search(repo, "Mohammad", "RU", offset=0, limit=2)
    assert persian["total"] == 5 and len(persian["items"]) == 2 and persian["more"]
