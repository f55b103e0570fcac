"""``/api/customers``: register a caller, read and change a customer."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import FastAPI, Query

from services.registry import handlers
from services.registry.domain import CustomerPatch, RegistrationRequest
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Operator, Reader
from shared.service import ServiceRuntime

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The phone (detail.customer_id names its owner) or the loyalty "
                         "card number is already registered"},
}

TAGS: list[str | Enum] = ["customers"]


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            audit: AuditTrail) -> None:
    @app.post("/api/customers", tags=TAGS, status_code=201, responses=CONFLICT,
              summary="Register a new caller; publishes crm.customer.registered.v1")
    async def register(body: RegistrationRequest, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            event = await handlers.register(repo, audit, body, principal)
            await runtime.publish([event])
        return await handlers.customer(repo, event.customer_id)

    @app.get("/api/customers/{customer_id}", tags=TAGS, summary="A customer as registered")
    async def read(customer_id: str, principal: Reader) -> dict[str, Any]:
        return await handlers.customer(repo, customer_id)

    @app.patch("/api/customers/{customer_id}", tags=TAGS, responses=CONFLICT,
               summary="Change a customer; publishes crm.customer.updated.v1 if anything changed")
    async def change(customer_id: str, body: CustomerPatch, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            view, event = await handlers.change_customer(repo, audit, customer_id, body,
                                                         principal)
            if event is not None:
                await runtime.publish([event])
        return view


    @app.get("/api/customers/{customer_id}/history", tags=TAGS,
             summary="Who registered and changed this customer, and when (newest first)")
    async def history(customer_id: str, principal: Reader,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        await handlers.customer(repo, customer_id)  # 404 for an unknown customer
        return {"customer_id": customer_id,
                "entries": await audit.entries(f"customer:{customer_id}", limit)}
