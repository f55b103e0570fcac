"""``/api/customers``: register a caller, read and change a customer."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query

from services.registry import handlers
from services.registry.api.schemas import (
    CustomerPatch,
    NoteRequest,
    RegistrationRequest,
    SearchRequest,
    ThankYouRequest,
)
from services.registry.handlers import notes, search, thanks
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.audit import AuditTrail
from shared.auth import Operator, PerPersonLimit, PersonalReads, Principal, Reader
from shared.service import ServiceRuntime

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The phone (detail.customer_id names its owner) or the loyalty "
                         "card number is already registered; checked only once the rest "
                         "of the body is valid"},
}
PERSONAL: dict[int | str, dict[str, Any]] = {
    404: {"description": "No customer with this id"},
    429: {"description": "Too many reads of personal data by this person "
                         "(CRM_PERSONAL_READS_PER_MINUTE)"},
}

TAGS: list[str | Enum] = ["customers"]


Offset = Annotated[int, Query(ge=0, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=100)]
SEARCH: dict[int | str, dict[str, Any]] = {
    422: {"description": "An empty or too long query"},
    429: {"description": "Too many searches by this person"},
}


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            audit: AuditTrail, settings: RegistrySettings) -> None:
    searches = PerPersonLimit(settings.card_lookups_per_minute, "searches")
    reads = PersonalReads(settings.personal_reads_per_minute)

    async def searched(q: str, principal: Principal, offset: int, limit: int
                       ) -> dict[str, Any]:
        searches.check(principal)
        return await search.search(repo, q, settings.phone_regions, offset, limit)

    @app.post("/api/customers/search", tags=TAGS, responses=SEARCH,
              summary="Find customers by part of a name (any script), email, phone, loyalty "
                      "card number or customer id, the query in the body; paged")
    async def find_in_body(body: SearchRequest, principal: Operator) -> dict[str, Any]:
        return await searched(body.q, principal, body.offset, body.limit)

    @app.get("/api/customers", tags=TAGS, responses=SEARCH,
             summary="Find customers as POST /api/customers/search does (prefer that: a "
                     "query in a URL is kept in access logs and browser history)")
    async def find(q: Annotated[str, Query(max_length=200)], principal: Operator,
                   offset: Offset = 0, limit: Limit = 20) -> dict[str, Any]:
        return await searched(q, principal, offset, limit)

    @app.post("/api/customers", tags=TAGS, status_code=201, responses=CONFLICT,
              summary="Register a new caller; publishes crm.customer.registered.v1")
    async def register(body: RegistrationRequest, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            event = await handlers.register(repo, audit, body, principal)
            await runtime.publish([event])
        return await handlers.customer(repo, event.customer_id, principal)

    @app.get("/api/customers/{customer_id}", tags=TAGS, responses=PERSONAL,
             summary="A customer as registered: the whole record to operators and admins, "
                     "without personal fields to analysts")
    async def read(customer_id: str, principal: Reader) -> dict[str, Any]:
        reads.check(principal)
        return await handlers.customer(repo, customer_id, principal)

    @app.patch("/api/customers/{customer_id}", tags=TAGS, responses=CONFLICT,
               summary="Change a customer; publishes crm.customer.updated.v1 if anything changed")
    async def change(customer_id: str, body: CustomerPatch, principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            view, event = await handlers.change_customer(repo, audit, customer_id, body,
                                                         principal)
            if event is not None:
                await runtime.publish([event])
        return view


    @app.get("/api/customers/{customer_id}/history", tags=TAGS, responses=PERSONAL,
             summary="Who registered and changed this customer, and when (newest first)")
    async def history(customer_id: str, principal: Reader,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        reads.check(principal)
        await handlers.customer(repo, customer_id, principal)  # 404 for an unknown customer
        return {"customer_id": customer_id,
                "entries": await audit.entries(f"customer:{customer_id}", limit)}

    @app.get("/api/customers/{customer_id}/activity", tags=TAGS, responses=PERSONAL,
             summary="Every purchase and interaction of a customer, newest first; paged")
    async def activity(customer_id: str, principal: Operator,
                       kind: Literal["purchase", "interaction"] | None = None,
                       offset: Offset = 0, limit: Limit = 20) -> dict[str, Any]:
        reads.check(principal)
        await handlers.customer(repo, customer_id, principal)  # 404 for an unknown customer
        return await search.activity(repo, customer_id, kind, offset, limit)

    @app.post("/api/customers/{customer_id}/notes", tags=TAGS, status_code=201,
              summary="Add a note on a customer for colleagues (the card shows the newest)")
    async def add_note(customer_id: str, body: NoteRequest,
                       principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            return await notes.add_note(repo, customer_id, body, principal)

    @app.post("/api/customers/{customer_id}/thank-yous", tags=TAGS, status_code=202,
              responses={404: {"description": "No customer with this id"},
                         409: {"description": "The thank_you_id was used for another "
                                            "thank-you"},
                         422: {"description": "Unknown reason, or bonus_points above "
                                            "CRM_THANK_YOU_MAX_BONUS"}},
              summary="Thank a customer, with optional bonus points; publishes "
                      "crm.customer.thanked.v1 (notify sends the SMS, loyalty credits)")
    async def thank_customer(customer_id: str, body: ThankYouRequest,
                             principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            event, new = await thanks.thank_customer(
                repo, customer_id, body, principal, settings.thank_you_max_bonus)
            if new:
                await runtime.publish([event])
        return event.model_dump(mode="json")

    @app.get("/api/customers/{customer_id}/notes", tags=TAGS, responses=PERSONAL,
             summary="A customer's notes, newest first; paged")
    async def list_notes(customer_id: str, principal: Operator, offset: Offset = 0,
                         limit: Limit = 20) -> dict[str, Any]:
        reads.check(principal)
        return await notes.notes(repo, customer_id, offset, limit)
