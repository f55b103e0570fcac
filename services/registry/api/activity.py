"""``/api/interactions`` and ``/api/purchases``: what operators log during a call."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI

from services.registry import handlers
from services.registry.api.schemas import InteractionRequest, PurchaseRequest
from services.registry.repository import RegistryRepository
from shared.auth import Operator
from shared.service import ServiceRuntime

UNKNOWN: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input, or no customer with this customer_id"},
}

TAGS: list[str | Enum] = ["activity"]


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository) -> None:
    @app.post("/api/interactions", tags=TAGS, status_code=202, responses=UNKNOWN,
              summary="Log a call, chat, email or SMS; publishes crm.interaction.logged.v1")
    async def log_interaction(body: InteractionRequest, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            event = await handlers.log_interaction(repo, body, principal)
            await runtime.publish([event])
        return event.model_dump(mode="json")

    @app.post("/api/purchases", tags=TAGS, status_code=202, responses=UNKNOWN,
              summary="Record a purchase or refund; publishes crm.purchase.recorded.v1")
    async def record_purchase(body: PurchaseRequest, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            event = await handlers.record_purchase(repo, body, principal)
            await runtime.publish([event])
        return event.model_dump(mode="json")

