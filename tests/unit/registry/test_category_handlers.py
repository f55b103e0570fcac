"""Categories: seeded once, created, changed, and deleted only when unused."""

import pytest

from services.registry import handlers
from services.registry.api.schemas import CategoryPatch, CustomerPatch
from services.registry.domain import Category, CategoryTitles
from services.registry.domain.errors import CategoryExists, CategoryInUse, CategoryNotFound
from services.registry.repository import RegistryRepository
from shared.database.memory import MemoryDatabase
from tests.unit.registry.conftest import OPERATOR, audit, registration

GOLDEN = Category(slug="golden", titles=CategoryTitles(en="Golden"), colour="#c9a227")


async def slugs(repo: RegistryRepository) -> list[str]:
    return [row["slug"] for row in await handlers.list_categories(repo)]


async def test_the_four_defaults_are_seeded(repo: RegistryRepository) -> None:
    assert await slugs(repo) == ["employee", "ordinary", "problematic", "vip"]


async def test_seeding_again_does_not_resurrect_a_deleted_default(
    repo: RegistryRepository,
) -> None:
    await handlers.delete_category(repo, "employee")
    assert await handlers.seed_default_categories(repo) == []
    assert "employee" not in await slugs(repo)


async def test_a_database_holding_a_default_gets_no_seeding() -> None:
    repo = RegistryRepository(MemoryDatabase("test"))
    await repo.save_category(GOLDEN.model_copy(update={"slug": "vip"}))
    assert await handlers.seed_default_categories(repo) == []
    assert await slugs(repo) == ["vip"]


async def test_a_new_category_is_listed_with_no_customers(repo: RegistryRepository) -> None:
    created = await handlers.create_category(repo, GOLDEN)
    assert created["customers"] == 0
    assert "golden" in await slugs(repo)


async def test_a_slug_cannot_be_created_twice(repo: RegistryRepository) -> None:
    with pytest.raises(CategoryExists):
        await handlers.create_category(repo, GOLDEN.model_copy(update={"slug": "vip"}))


async def test_a_discount_is_stored_as_a_decimal_string(repo: RegistryRepository) -> None:
    changed = await handlers.change_category(
        repo, "employee", CategoryPatch(discount_percent="12.5")
    )
    assert changed["discount_percent"] == "12.5"
    stored = await repo.categories.find_one({"_id": "employee"})
    assert stored is not None and stored["discount_percent"] == "12.5"


async def test_changing_an_unknown_category_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(CategoryNotFound):
        await handlers.change_category(repo, "nope", CategoryPatch(colour="#000000"))


async def test_a_category_in_use_cannot_be_deleted(repo: RegistryRepository) -> None:
    await handlers.register(repo, audit(repo), registration(category="vip"), OPERATOR)
    with pytest.raises(CategoryInUse) as in_use:
        await handlers.delete_category(repo, "vip")
    assert in_use.value.detail["customers"] == 1


async def test_a_category_emptied_by_a_change_can_be_deleted(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(category="vip"), OPERATOR)
    await handlers.change_customer(repo, audit(repo), customer.customer_id,
                                   CustomerPatch(category="ordinary"), OPERATOR)
    await handlers.delete_category(repo, "vip")
    assert "vip" not in await slugs(repo)
