"""``/api/sources``: where customers come from, an admin-managed list with synonyms."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from fastapi import FastAPI, Response

from services.registry import handlers
from services.registry.api.schemas import SourcePatch
from services.registry.domain.sources import Source
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Admin, Principal, Reader
from shared.service import ServiceRuntime

TAGS: list[str | Enum] = ["sources"]
NORMALISE_CHUNK = 200  # customers per unit of work when stored sources are normalised
log = logging.getLogger("crm.registry.sources")
CLASH: dict[int | str, dict[str, Any]] = {
    409: {"description": "The slug exists, or a title or synonym names another source"}}


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            audit: AuditTrail) -> None:
    @app.get("/api/sources", tags=TAGS,
             summary="Every source (how customers found us), with titles and synonyms")
    async def list_all(principal: Reader) -> list[dict[str, Any]]:
        return await handlers.list_sources(repo)

    @app.post("/api/sources", tags=TAGS, status_code=201, responses=CLASH)
    async def create(body: Source, principal: Admin) -> dict[str, Any]:
        async with runtime.command():
            created = await handlers.create_source(repo, body)
        return created

    @app.post("/api/sources/normalise", tags=TAGS,
              summary="Map customers' stored free-text sources that are a known title or "
                      "synonym to the slug; publishes crm.customer.updated.v1 for each")
    async def normalise(principal: Admin) -> dict[str, int]:
        return await normalise_all(principal)

    async def normalise_all(by: Principal) -> dict[str, int]:
        """In chunks, each a unit of work with its events. Idempotent: an interrupted sweep
        is finished by running it again."""
        after, read, changed = "", 0, 0
        while True:
            async with runtime.command():
                events, last, rows = await handlers.normalise_sources(
                    repo, audit, after, NORMALISE_CHUNK, by)
                await runtime.publish(events)
            read, changed = read + rows, changed + len(events)
            log.info("sources normalised: %d customers read, %d changed", read, changed)
            if last is None:
                return {"customers_read": read, "customers_changed": changed}
            after = last

    @app.patch("/api/sources/{slug}", tags=TAGS, responses=CLASH,
               summary="Change titles or synonyms (the list replaces the old one; not the slug)")
    async def change(slug: str, body: SourcePatch, principal: Admin) -> dict[str, Any]:
        async with runtime.command():
            changed = await handlers.change_source(repo, slug, body)
        return changed

    @app.delete("/api/sources/{slug}", tags=TAGS, status_code=204,
                responses={409: {"description": "Customers came from this source"}})
    async def delete(slug: str, principal: Admin) -> Response:
        async with runtime.command():
            await handlers.delete_source(repo, slug)
        return Response(status_code=204)
