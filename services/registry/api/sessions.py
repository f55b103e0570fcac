"""Sign-in: ``POST /api/sessions`` (login and password → a short-lived signed token),
``POST /api/sessions/renew`` and the public keys at ``/.well-known/jwks.json``.

Every refusal of a login or a password is the same 401, after the same work, whether the
login exists or not; failures in a row slow the answers down and then lock the login for a
while (``LoginThrottle``), and each client address has its own rate limit.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from enum import Enum
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from services.registry.api.schemas import SignIn
from services.registry.domain.operators import LoginThrottle, login_key
from services.registry.domain.passwords import Passwords
from services.registry.handlers import operators as directory
from services.registry.repository import RegistryRepository
from shared.auth import Principal, RateLimiter, Role, authenticate, too_many
from shared.auth.keys import SigningKeys
from shared.auth.tokens import IssuedSession, SessionIssuer
from shared.clock import utc_now
from shared.service import ServiceRuntime

TAGS: list[str | Enum] = ["sessions"]
WRONG = "wrong login or password"


def _unauthorized(message: str = WRONG) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def session_view(issued: IssuedSession, document: dict[str, Any]) -> dict[str, Any]:
    return {"token": issued.token, "token_type": "Bearer",
            "expires_at": issued.expires_at.isoformat(),
            "operator": directory.operator_view(document)}


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            passwords: Passwords, keys: SigningKeys, issuer: SessionIssuer,
            throttle: LoginThrottle, sign_ins_per_minute: int) -> None:
    per_address = RateLimiter(sign_ins_per_minute)

    def issue(document: dict[str, Any], now: datetime,
              auth_time: datetime | None = None) -> IssuedSession:
        return issuer.issue(operator_id=document["_id"], role=Role(document["role"]),
                            display_name=document["display_name"],
                            session_version=document.get("session_version", 0),
                            now=now, auth_time=auth_time)

    @app.post("/api/sessions", tags=TAGS,
              responses={401: {"description": "Wrong login or password (one answer for both)"},
                         429: {"description": "Too many failed sign-ins for this login, or "
                                              "too many attempts from this address"}},
              summary="Sign in with login and password: a short-lived signed token")
    async def sign_in(body: SignIn, request: Request) -> dict[str, Any]:
        address = request.client.host if request.client else "unknown"
        allowed, wait_s = per_address.allow(address)
        if not allowed:
            raise too_many("too many sign-in attempts from this address; try again shortly",
                            wait_s)
        key = login_key(body.login)
        now = utc_now()
        locked_until = await directory.sign_in_lock(repo, throttle, key, now)
        if locked_until is not None:
            minutes = math.ceil((locked_until - now).total_seconds() / 60)
            raise too_many(f"too many failed sign-ins for this login; try again in "
                            f"{minutes} minute(s) or ask an admin",
                            (locked_until - now).total_seconds())
        document = await repo.operator_by_login(key)
        stored_hash = document.get("password_hash") if document is not None else None
        checked = await passwords.check(stored_hash, body.password.get_secret_value())
        succeeded = checked.ok and document is not None and document.get("active", False)
        rehash = None
        if succeeded and checked.needs_rehash:
            assert document is not None
            rehash = (document["_id"], await passwords.hash(body.password.get_secret_value()))
        async with runtime.command():
            failures = await directory.record_sign_in(repo, throttle, key, bool(succeeded),
                                                      now, rehash)
        if not succeeded:
            await asyncio.sleep(throttle.delay_s(failures))
            raise _unauthorized()
        assert document is not None
        return session_view(issue(document, now), document)

    @app.post("/api/sessions/renew", tags=TAGS,
              responses={401: {"description": "The token is not valid any more, or the "
                                              "session reached its longest life: sign in"}},
              summary="A fresh token for the signed-in person, without the password")
    async def renew(request: Request) -> dict[str, Any]:
        verified = await authenticate(request)
        principal: Principal = verified.principal
        if not verified.local:
            raise HTTPException(400, "only a session of this suite's sign-in can be renewed")
        now = utc_now()
        auth_time = issuer.renewable(verified.claims, now)
        document = await repo.operator(principal.subject)
        if auth_time is None or document is None:
            raise _unauthorized("this session has reached its longest life; sign in again")
        return session_view(issue(document, now, auth_time), document)

    @app.get("/.well-known/jwks.json", tags=TAGS,
             summary="The public keys that verify session tokens (JWKS)")
    async def jwks() -> JSONResponse:
        return JSONResponse(keys.jwks(), headers={"Cache-Control": "max-age=60"})
