"""Who may call an endpoint: the bearer token proves a person or a machine client, and the
route admits roles.

A token with two dots is a session JWT (``shared.auth.tokens``); anything else is compared,
in constant time, with the machine-client tokens ``CRM_OPERATOR_TOKEN``,
``CRM_ANALYST_TOKEN`` and ``CRM_ADMIN_TOKEN``. A person's token also has to agree with the
people directory: a disabled person, or a token older than the person's last role or
password change, is refused. Every refusal is a 401 whose message names the rule that
failed (expired, signature, no longer valid), never anything about a login.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from shared.auth.people import PeopleDirectory
from shared.auth.principal import Principal, Role
from shared.auth.tokens import InvalidToken, NoRole, TokenVerifier, Verified
from shared.settings import ServiceSettings


class TokenRegistry:
    """The machine-client tokens, one per role."""

    def __init__(self, settings: ServiceSettings) -> None:
        pairs = [
            (Role.OPERATOR, settings.operator_token),
            (Role.ANALYST, settings.analyst_token),
            (Role.ADMIN, settings.admin_token),
        ]
        self._tokens = [
            (role, secret.get_secret_value().encode())
            for role, secret in pairs
            if secret is not None and secret.get_secret_value()
        ]

    def identify(self, presented: str) -> Principal | None:
        candidate = presented.encode()
        found: Role | None = None
        for role, token in self._tokens:  # no early exit: same time whichever token matches
            if hmac.compare_digest(candidate, token):
                found = role
        return None if found is None else Principal.client(found)


class Unauthenticated(Exception):
    """No valid token (401); the message is safe to show."""


class Authenticator:
    """Turns a bearer token into a ``Principal``; see the module docstring.

    ``strict``: the directory is the source of truth here (registry), so a person it does
    not know is refused. A mirror may lag a new person by moments: it refuses only what it
    knows to be disabled or outdated.
    """

    def __init__(self, clients: TokenRegistry, verifier: TokenVerifier,
                 people: PeopleDirectory, strict: bool = False) -> None:
        self.clients = clients
        self.verifier = verifier
        self.people = people
        self.strict = strict

    async def identify(self, token: str) -> Principal:
        return (await self.verify(token)).principal

    async def verify(self, token: str) -> Verified:
        """The verified token; raises ``Unauthenticated`` (401) or ``NoRole`` (403)."""
        if token.count(".") != 2:
            client = self.clients.identify(token)
            if client is None:
                raise Unauthenticated("invalid token")
            return Verified(client, local=False, session_version=None, claims={})
        try:
            verified = await self.verifier.verify(token)
        except InvalidToken as error:
            raise Unauthenticated(str(error)) from None
        person = await self.people.person(verified.principal.subject)
        if person is None:
            if self.strict and verified.local:
                raise Unauthenticated("this session is no longer valid; sign in again")
            return verified
        if not person.active or (verified.session_version is not None
                                 and verified.session_version < person.session_version):
            raise Unauthenticated("this session is no longer valid; sign in again")
        return verified


def bearer_token(request: Request) -> str:
    """The request's bearer token; 401 when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def authenticate(request: Request, token: str | None = None) -> Verified:
    """The request's verified token (401/403 as ``HTTPException``), remembered on the request."""
    try:
        verified: Verified = await request.app.state.auth.verify(
            token if token is not None else bearer_token(request))
    except Unauthenticated as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error),
                            headers={"WWW-Authenticate": "Bearer"}) from None
    except NoRole as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from None
    request.state.principal = verified.principal
    return verified


def require(*roles: Role) -> Any:
    """A FastAPI dependency admitting only the given roles (401 without a valid token)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:  # async: no thread-pool hop
        principal = (await authenticate(request)).principal
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the {principal.role.value} role may not do this "
                f"(allowed: {', '.join(sorted(r.value for r in allowed))})",
            )
        return principal

    return Depends(dependency)


#: The caller, admitted by role: use as the type of a route parameter.
Reader = Annotated[Principal, require(Role.OPERATOR, Role.ANALYST, Role.ADMIN)]
Operator = Annotated[Principal, require(Role.OPERATOR, Role.ADMIN)]
Analyst = Annotated[Principal, require(Role.ANALYST, Role.ADMIN)]
Admin = Annotated[Principal, require(Role.ADMIN)]
