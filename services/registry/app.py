"""Registry: registration, the caller card and the operator panel, wired to Kafka and HTTP."""

from __future__ import annotations

from typing import Any, Literal

import phonenumbers
from fastapi import FastAPI, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.registry import handlers
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.auth import Role, principal_of
from shared.contracts import CustomerRegistered, CustomerScored
from shared.contracts.types import CountryCode, Slug, Text
from shared.service import ServiceRuntime, create_http_app

Operator = principal_of(Role.OPERATOR, Role.ADMIN)
Reader = principal_of(Role.OPERATOR, Role.ANALYST, Role.ADMIN)


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: Text
    phone: str = Field(min_length=3, max_length=40)
    country: CountryCode
    person_type: Literal["individual", "company"] = "individual"
    category: Slug = "ordinary"


def normalize_phone(raw: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime(settings)
    repo = RegistryRepository(runtime.db)
    runtime.subscribe(CustomerRegistered, lambda event: handlers.on_registered(repo, event))
    runtime.subscribe(CustomerScored, lambda event: handlers.on_scored(repo, event))
    app = create_http_app(runtime, "crm registry", "Registration, categories, caller cards.")

    @app.post("/api/customers", status_code=201, tags=["customers"])
    async def register(body: Registration, principal: Operator) -> Any:
        phone = normalize_phone(body.phone, body.country)
        if phone is None:
            raise HTTPException(422, "phone is not a valid number for the registration country")
        fields = body.model_dump() | {"phone": phone, "entered_by": "operator",
                                      "operator_id": principal.operator_id}
        try:
            async with runtime.db.transaction():
                event = await handlers.register(repo, fields)
                await runtime.publish([event])
        except handlers.PhoneTaken as taken:
            return JSONResponse(
                {"detail": {"message": str(taken), "customer_id": taken.customer_id}},
                status_code=status.HTTP_409_CONFLICT,
            )
        await runtime.db.durable()
        return {"customer_id": event.customer_id, **event.model_dump(mode="json")}

    @app.get("/api/callers/{phone}", tags=["callers"])
    async def caller_card(phone: str, principal: Reader) -> Any:
        e164 = normalize_phone(phone, settings.default_region)
        customer_id = await repo.customer_by_phone(e164) if e164 else None
        card = await repo.card(customer_id) if customer_id else None
        if card is None:
            raise HTTPException(404, "no customer with this phone number")
        card.pop("_id", None)
        return card

    return app
