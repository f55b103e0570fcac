"""``/api/operators``: the directory of people who sign in (admins manage it)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import FastAPI, Query

from services.registry.api.schemas import NewOperator, OperatorPatch
from services.registry.api.screens import Screens
from services.registry.domain.passwords import Passwords
from services.registry.handlers import operators as directory
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Admin, Reader
from shared.clock import utc_now
from shared.service import ServiceRuntime

TAGS: list[str | Enum] = ["operators"]
RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The login or the extension is taken, or the change would leave "
                         "no active admin"},
}


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            audit: AuditTrail, passwords: Passwords, screens: Screens) -> None:
    @app.post("/api/operators", tags=TAGS, status_code=201, responses=RESPONSES,
              summary="Create a person who signs in; publishes crm.operator.updated.v1")
    async def create(body: NewOperator, principal: Admin) -> dict[str, Any]:
        password_hash = await passwords.hash(body.password.get_secret_value())
        async with runtime.command():
            view, event = await directory.create_operator(
                repo, audit, body.profile(), password_hash, principal, utc_now())
            await runtime.publish([event])
        return view

    @app.get("/api/operators", tags=TAGS, summary="Everyone in the directory, by name")
    async def list_all(principal: Admin) -> list[dict[str, Any]]:
        return await directory.list_operators(repo)

    @app.get("/api/operators/me", tags=TAGS,
             summary="The signed-in person (or the machine client) as the directory knows them")
    async def me(principal: Reader) -> dict[str, Any]:
        if not principal.person:
            return {"operator_id": None, "client": True, "role": principal.role.value,
                    "display_name": principal.actor_name}
        if principal.subject.startswith("oidc:"):
            async with runtime.command():
                document, event = await directory.remember_identity_provider_person(
                    repo, principal, utc_now())
                if event is not None:
                    await runtime.publish([event])
            runtime.people.forget(principal.subject)
        else:
            document = await directory.operator(repo, principal.subject)
        return directory.operator_view(document) | {"client": False}

    @app.patch("/api/operators/{operator_id}", tags=TAGS, responses=RESPONSES,
               summary="Change, disable or re-enable a person; a disable, a new role or a new "
                       "password ends their sessions at once")
    async def change(operator_id: str, body: OperatorPatch, principal: Admin) -> dict[str, Any]:
        password_hash = None
        if body.password is not None:
            current = await directory.operator(repo, operator_id)
            directory.check_password(body.password.get_secret_value(), current.get("login"))
            password_hash = await passwords.hash(body.password.get_secret_value())
        async with runtime.command():
            view, event = await directory.change_operator(
                repo, audit, operator_id, body, password_hash, principal, utc_now())
            if event is not None:
                await runtime.publish([event])
        runtime.people.forget(operator_id)
        if event is not None:
            screens.end_person(operator_id)
        return view

    @app.get("/api/operators/{operator_id}/history", tags=TAGS,
             summary="Who created and changed this person, and when")
    async def history(operator_id: str, principal: Admin,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
        await directory.operator(repo, operator_id)
        return {"operator_id": operator_id,
                "entries": await audit.entries(f"operator:{operator_id}", limit)}
