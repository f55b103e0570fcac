"""Use cases of admins: the user-defined list of customer categories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.registry.domain import DEFAULT_CATEGORIES, Category
from services.registry.domain.categories import patched
from services.registry.domain.errors import CategoryExists, CategoryInUse, CategoryNotFound
from services.registry.repository import RegistryRepository

if TYPE_CHECKING:  # the command is the HTTP body; api imports these use cases at run time
    from services.registry.api.schemas import CategoryPatch


async def category_view(repo: RegistryRepository, category: Category) -> dict[str, Any]:
    """A category as the API shows it, with how many customers are in it."""
    return {**category.model_dump(mode="json"),
            "customers": await repo.category_usage_count(category.slug)}


async def list_categories(repo: RegistryRepository) -> list[dict[str, Any]]:
    return [await category_view(repo, category) for category in await repo.all_categories()]


async def seed_default_categories(repo: RegistryRepository) -> list[str]:
    """Insert the default categories once per database; return the slugs inserted.

    Seeding is recorded, so a default an admin deleted is not brought back at the next
    start; a database that already holds any default (seeded by an older version, or
    restored) gets none added.
    """
    if await repo.defaults_seeded():
        return []
    present = [c for c in DEFAULT_CATEGORIES if await repo.category(c.slug) is not None]
    inserted = [] if present else [c.slug for c in DEFAULT_CATEGORIES]
    for category in DEFAULT_CATEGORIES:
        if category.slug in inserted:
            await repo.save_category(category)
    await repo.record_defaults_seeded(inserted)
    return inserted


async def create_category(repo: RegistryRepository, category: Category) -> dict[str, Any]:
    if await repo.category(category.slug) is not None:
        raise CategoryExists(category.slug)
    await repo.save_category(category)
    return await category_view(repo, category)


async def change_category(
    repo: RegistryRepository, slug: str, patch: CategoryPatch
) -> dict[str, Any]:
    category = await repo.category(slug)
    if category is None:
        raise CategoryNotFound()
    changed = patched(category, patch.changes())
    await repo.save_category(changed)
    return await category_view(repo, changed)


async def delete_category(repo: RegistryRepository, slug: str) -> None:
    """Delete an unused category; one that customers are in is refused (``CategoryInUse``)."""
    if await repo.category(slug) is None:
        raise CategoryNotFound()
    customers = await repo.category_usage_count(slug)
    if customers > 0:
        raise CategoryInUse(slug, customers)
    await repo.delete_category(slug)
