"""Bearer-token roles: operator, analyst, admin. Tokens are compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from shared.settings import ServiceSettings


class Role(StrEnum):
    OPERATOR = "operator"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    role: Role
    token_id: str  # a short hash: identifies the token in logs and limits, reveals nothing

    @property
    def operator_id(self) -> str:
        return f"{self.role.value}-{self.token_id}"


class TokenRegistry:
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
        if found is None:
            return None
        return Principal(found, hashlib.sha256(candidate).hexdigest()[:8])


def bearer_token(request: Request) -> str:
    """The request's bearer token; 401 when there is none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def require(*roles: Role) -> Any:
    """A FastAPI dependency admitting only the given roles (401 without a valid token)."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Principal:  # async: no thread-pool hop
        principal = request.app.state.tokens.identify(bearer_token(request))
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "invalid token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the {principal.role.value} role may not do this "
                f"(allowed: {', '.join(sorted(r.value for r in allowed))})",
            )
        request.state.principal = principal
        return principal

    return Depends(dependency)


#: The caller, admitted by role: use as the type of a route parameter.
Reader = Annotated[Principal, require(Role.OPERATOR, Role.ANALYST, Role.ADMIN)]
Operator = Annotated[Principal, require(Role.OPERATOR, Role.ADMIN)]
Analyst = Annotated[Principal, require(Role.ANALYST, Role.ADMIN)]
Admin = Annotated[Principal, require(Role.ADMIN)]


class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` sustained, bursts up to ``burst``."""

    def __init__(
        self, rate_per_minute: int, burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, rate_per_minute // 6))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and else the seconds to wait."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return True, 0.0
        self._buckets[key] = (tokens, now)
        return False, (1 - tokens) / self.rate if self.rate else 60.0
