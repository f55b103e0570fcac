"""``/api/categories``: the user-defined list of customer categories."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from fastapi import FastAPI, Response

from services.registry import handlers
from services.registry.api.schemas import CategoryPatch
from services.registry.domain import Category
from services.registry.repository import RegistryRepository
from shared.auth import Admin, Reader
from shared.service import ServiceRuntime

TAGS: list[str | Enum] = ["categories"]
POLICY_CHUNK = 200  # customers per unit of work when a category's rule changes
log = logging.getLogger("crm.registry.categories")


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository) -> None:
    @app.get("/api/categories", tags=TAGS,
             summary="Every category, with how many customers are in it")
    async def list_all(principal: Reader) -> list[dict[str, Any]]:
        return await handlers.list_categories(repo)

    @app.post("/api/categories", tags=TAGS, status_code=201,
              responses={409: {"description": "The slug exists"}})
    async def create(body: Category, principal: Admin) -> dict[str, Any]:
        async with runtime.command():
            created = await handlers.create_category(repo, body)
        return created

    @app.patch("/api/categories/{slug}", tags=TAGS,
               summary="Change titles, colour, policy flags or advice (not the slug)")
    async def change(slug: str, body: CategoryPatch, principal: Admin) -> dict[str, Any]:
        async with runtime.command():
            changed = await handlers.change_category(repo, slug, body)
        if "prepayment_required" in body.model_fields_set:
            changed["payment_policies_published"] = await publish_policies(slug)
        return changed

    async def publish_policies(slug: str) -> int:
        """Billing told of every customer of the category whose payment policy the new
        rule changed: in chunks, each a unit of work with its events. Idempotent, so an
        interrupted sweep is finished by sending the same rule again."""
        customer_ids = await repo.card_ids_in_category(slug)
        published = 0
        for start in range(0, len(customer_ids), POLICY_CHUNK):
            async with runtime.command():
                events = await handlers.category_policy_updates(
                    repo, customer_ids[start:start + POLICY_CHUNK])
                await runtime.publish(events)
            published += len(events)
        if customer_ids:
            log.info("category %s: %d payment policies published for %d customers",
                     slug, published, len(customer_ids))
        return published

    @app.delete("/api/categories/{slug}", tags=TAGS, status_code=204,
                responses={409: {"description": "Customers are in this category"}})
    async def delete(slug: str, principal: Admin) -> Response:
        async with runtime.command():
            await handlers.delete_category(repo, slug)
        return Response(status_code=204)

