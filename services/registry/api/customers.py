"""``/api/customers``: register a caller, read and change a customer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.registry import handlers
from services.registry.api.roles import Operator, Reader
from services.registry.domain import CustomerPatch, RegistrationRequest
from services.registry.handlers.customers import customer_view
from services.registry.repository import RegistryRepository
from shared.service import ServiceRuntime

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The phone (detail.customer_id names its owner) or the loyalty "
                         "card number is already registered"},
}


def router(runtime: ServiceRuntime, repo: RegistryRepository) -> APIRouter:
    api = APIRouter(prefix="/api/customers", tags=["customers"])

    @api.post("", status_code=201, responses=CONFLICT,
              summary="Register a new caller; publishes crm.customer.registered.v1")
    async def register(body: RegistrationRequest, principal: Operator) -> dict[str, Any]:
        async with runtime.db.transaction():
            event = await handlers.register(repo, body, principal.operator_id)
            await runtime.publish([event])
        await runtime.db.durable()
        stored = await repo.customer(event.customer_id)
        assert stored is not None
        return customer_view(stored)

    @api.get("/{customer_id}", summary="A customer as registered")
    async def read(customer_id: str, principal: Reader) -> dict[str, Any]:
        return await handlers.customer(repo, customer_id)

    @api.patch("/{customer_id}", responses=CONFLICT,
               summary="Change a customer; publishes crm.customer.updated.v1 if anything changed")
    async def change(customer_id: str, body: CustomerPatch, principal: Operator) -> dict[str, Any]:
        async with runtime.db.transaction():
            view, event = await handlers.change_customer(repo, customer_id, body)
            if event is not None:
                await runtime.publish([event])
        await runtime.db.durable()
        return view

    return api
