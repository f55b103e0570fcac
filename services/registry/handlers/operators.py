"""Use cases of the operator directory: admins create, change and disable people; a person
signs in. Each runs inside the caller's transaction and returns the events to publish;
password hashing (slow) happens before, outside the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.registry.domain import new_id
from services.registry.domain.changes import changed_fields
from services.registry.domain.errors import (
    ExtensionTaken,
    LastAdmin,
    LoginTaken,
    OperatorNotFound,
    Unprocessable,
)
from services.registry.domain.operators import (
    LoginThrottle,
    OperatorProfile,
    demotes_an_active_admin,
    directory_action,
    ends_sessions,
    password_problem,
)
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail, field_changes
from shared.auth import Principal, Role
from shared.contracts import OperatorUpdated
from shared.database import Document

if TYPE_CHECKING:  # the command is the HTTP body; api imports these use cases at run time
    from services.registry.api.schemas import OperatorPatch

#: What the API shows of a person (never the password hash).
VIEW_FIELDS = ("login", "display_name", "display_names", "role", "extension", "languages",
               "active", "source")


def operator_view(document: Document) -> dict[str, Any]:
    view: dict[str, Any] = {"operator_id": document["_id"]}
    view.update({name: document.get(name) for name in VIEW_FIELDS})
    for stamp in ("created_at", "updated_at"):
        value = document.get(stamp)
        view[stamp] = value.isoformat() if isinstance(value, datetime) else value
    return view


def operator_updated(document: Document, now: datetime) -> OperatorUpdated:
    """The public record of a person, for the services that show names or check sessions."""
    return OperatorUpdated(
        operator_id=document["_id"], display_name=document["display_name"],
        display_names=document.get("display_names") or {}, active=document["active"],
        role=document["role"], session_version=document.get("session_version", 0),
        occurred_at=now,
    )


async def create_operator(repo: RegistryRepository, audit: AuditTrail, person: OperatorProfile,
                          password_hash: str, by: Principal,
                          now: datetime) -> tuple[dict[str, Any], OperatorUpdated]:
    if await repo.operator_by_login(person.login) is not None:
        raise LoginTaken()
    if person.extension:
        owner = await repo.extension_owner(person.extension)
        if owner is not None:
            raise ExtensionTaken(owner)
    document: Document = {
        "_id": new_id("op"), "login": person.login, "display_name": person.display_name,
        "display_names": dict(person.display_names), "role": person.role,
        "extension": person.extension, "languages": list(person.languages),
        "active": True, "source": "directory", "session_version": 0,
        "password_hash": password_hash, "created_at": now, "updated_at": now,
        "created_by": by.actor,
    }
    await repo.add_operator(document)
    if person.extension:
        await repo.claim_extension(person.extension, document["_id"])
    await audit.record(f"operator:{document['_id']}", "created", by, now, field_changes(
        {}, document, ["login", "display_name", "role", "extension", "languages", "password"]))
    return operator_view(document), operator_updated(document, now)


async def change_operator(repo: RegistryRepository, audit: AuditTrail, operator_id: str,
                          patch: OperatorPatch, password_hash: str | None, by: Principal,
                          now: datetime) -> tuple[dict[str, Any], OperatorUpdated | None]:
    """Apply an admin's changes; a disable, a new role or a new password ends the person's
    sessions at once (their session version goes up)."""
    document = await repo.operator(operator_id)
    if document is None:
        raise OperatorNotFound()
    changed = changed_fields(document, patch.changes())
    if password_hash is not None:
        changed["password"] = True  # a marker for the rules and the history
    if not changed:
        return operator_view(document), None
    await _keep_an_admin(repo, document, changed)
    if "extension" in changed:
        await _move_extension(repo, operator_id, document.get("extension"),
                              changed["extension"])
    stored = {k: v for k, v in changed.items() if k != "password"}
    if password_hash is not None:
        stored["password_hash"] = password_hash
    if ends_sessions(changed, was_active=document.get("active", True)):
        stored["session_version"] = document.get("session_version", 0) + 1
    stored["updated_at"] = now
    await repo.update_operator(operator_id, stored)
    after = {**document, **stored}
    await audit.record(f"operator:{operator_id}", directory_action(changed), by, now,
                       field_changes(document, after, changed))
    return operator_view(after), operator_updated(after, now)


async def _keep_an_admin(repo: RegistryRepository, document: Document,
                         changed: dict[str, Any]) -> None:
    if not demotes_an_active_admin(document, changed):
        return
    admins = [row for row in await repo.all_operators()
              if row.get("role") == "admin" and row.get("active", True)]
    if len(admins) <= 1:
        raise LastAdmin()


async def _move_extension(repo: RegistryRepository, operator_id: str, old: str | None,
                          new: str | None) -> None:
    if new is not None:
        owner = await repo.extension_owner(new)
        if owner is not None and owner != operator_id:
            raise ExtensionTaken(owner)
        if owner is None:
            await repo.claim_extension(new, operator_id)
    if old is not None:
        await repo.release_extension(old)


def check_password(password: str, login: str | None) -> None:
    """Refuse (``Unprocessable``) a new password that breaks the rules."""
    problem = password_problem(password, login or "")
    if problem:
        raise Unprocessable(problem, field="password")


async def list_operators(repo: RegistryRepository) -> list[dict[str, Any]]:
    return [operator_view(row) for row in await repo.all_operators()]


async def operator(repo: RegistryRepository, operator_id: str) -> Document:
    document = await repo.operator(operator_id)
    if document is None:
        raise OperatorNotFound()
    return document


async def remember_identity_provider_person(
    repo: RegistryRepository, principal: Principal, now: datetime,
) -> tuple[Document, OperatorUpdated | None]:
    """A person signed in through the company's identity provider, kept in the directory
    (name and role as the provider says) so other services can show their name."""
    document = await repo.operator(principal.subject)
    name = principal.display_name or principal.subject
    if document is not None and document.get("display_name") == name and \
            document.get("role") == principal.role.value:
        return document, None
    if document is None:
        document = {"_id": principal.subject, "login": None, "display_name": name,
                    "display_names": {}, "role": principal.role.value, "extension": None,
                    "languages": [], "active": True, "source": "identity_provider",
                    "session_version": 0, "created_at": now, "updated_at": now}
        await repo.add_operator(document)
    else:
        update = {"display_name": name, "role": principal.role.value, "updated_at": now}
        await repo.update_operator(principal.subject, update)
        document = {**document, **update}
    return document, operator_updated(document, now)


async def bootstrap_admin(repo: RegistryRepository, audit: AuditTrail, login: str,
                          password_hash: str, now: datetime) -> OperatorUpdated | None:
    """The first admin of an empty directory (``CRM_BOOTSTRAP_ADMIN_PASSWORD``); None once
    anyone exists."""
    if await repo.any_operator():
        return None
    # The password was checked and hashed by the caller.
    person = OperatorProfile(login=login, display_name="Administrator", role="admin")
    _, event = await create_operator(repo, audit, person, password_hash,
                                     Principal.client(Role.ADMIN), now)
    return event


# sign-in ---------------------------------------------------------------------------------
async def sign_in_lock(repo: RegistryRepository, throttle: LoginThrottle, login_key: str,
                       now: datetime) -> datetime | None:
    """Until when the login is locked by failed sign-ins, or None."""
    attempt = await repo.login_attempt(login_key)
    if attempt is None:
        return None
    return throttle.locked_until(attempt["failures"], attempt["last_failure_at"], now)


async def record_sign_in(repo: RegistryRepository, throttle: LoginThrottle, login_key: str,
                         succeeded: bool, now: datetime, rehash: tuple[str, str] | None = None,
                         ) -> int:
    """Count a failed sign-in (returns the failures in a row) or clear them on success;
    ``rehash``: (operator_id, new hash) when the stored hash's parameters are outdated."""
    if succeeded:
        await repo.clear_login_attempts(login_key)
        if rehash is not None:
            await repo.update_operator(rehash[0], {"password_hash": rehash[1]})
        return 0
    attempt = await repo.login_attempt(login_key)
    failures = 1 + (throttle.current_failures(attempt["failures"], attempt["last_failure_at"],
                                              now) if attempt else 0)
    await repo.save_login_attempt(login_key, failures, now)
    return failures
