"""Session tokens: signed JWTs that every service verifies by itself.

Two kinds of issuer are trusted:

- registry's own sign-in (``POST /api/sessions``): ``sub`` is the person's ``operator_id``,
  ``role`` the role, ``name`` the display name, ``ver`` the person's session version (a
  disable, role or password change raises it, which ends older sessions at once);
- a company identity provider (``CRM_OIDC_*``): ``sub`` becomes ``oidc:<sub>``, the role is
  read from ``CRM_OIDC_ROLE_CLAIM`` (a dotted path such as ``realm_access.roles``; a string
  or a list, the highest of operator < analyst < admin wins).

Only asymmetric algorithms are accepted: ``alg: none`` and HMAC tokens never verify.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.auth.keys import SIGNING_ALGORITHM, KeySource, SigningKeys
from shared.auth.principal import Principal, Role

ASYMMETRIC = ("EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512")
_RANK = {Role.OPERATOR: 1, Role.ANALYST: 2, Role.ADMIN: 3}
_ROLE_NAMES = frozenset(role.value for role in Role)
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class InvalidToken(Exception):
    """The token does not prove anyone (401). The message names the rule, never a value."""


class NoRole(Exception):
    """A valid token of a person who has no role in this suite (403)."""


@dataclass(frozen=True)
class Issuer:
    """One trusted issuer of session tokens."""

    name: str  # the ``iss`` claim
    audience: str
    keys: KeySource
    local: bool  # registry's own sign-in, else a company identity provider
    role_claim: str = "role"
    algorithms: tuple[str, ...] = ASYMMETRIC


@dataclass(frozen=True)
class Verified:
    principal: Principal
    local: bool
    session_version: int | None
    claims: dict[str, Any]


def oidc_subject(sub: str) -> str:
    """An ``operator_id`` for a person of the identity provider (a valid event Identifier)."""
    candidate = f"oidc:{sub}"
    if len(candidate) <= 64 and _IDENTIFIER.match(candidate):
        return candidate
    return "oidc:" + hashlib.sha256(sub.encode()).hexdigest()[:32]


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def role_from(value: Any) -> Role | None:
    """The highest suite role among a claim's values (a string, or a list of strings)."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [Role(item) for item in values if item in _ROLE_NAMES]
    return max(roles, key=_RANK.__getitem__) if roles else None


class TokenVerifier:
    """Verifies a JWT against the trusted issuers; see the module docstring.

    A panel presents the same token with every request: a verified token is remembered
    until it expires (up to ``remember`` of them), so its signature is checked once per
    process (PyJWT's parsing alone costs ~0.4 ms a token here).
    """

    def __init__(self, issuers: Sequence[Issuer], leeway_s: int = 30,
                 remember: int = 10_000) -> None:
        self.issuers = {issuer.name: issuer for issuer in issuers}
        self.leeway_s = leeway_s
        self.remember = remember
        self._remembered: OrderedDict[str, Verified] = OrderedDict()

    async def verify(self, token: str) -> Verified:
        known = self._remembered.get(token)
        if known is not None:
            if time.time() <= known.claims["exp"] + self.leeway_s:
                return known
            del self._remembered[token]
        verified = await self._verify(token)
        self._remembered[token] = verified
        if len(self._remembered) > self.remember:
            self._remembered.popitem(last=False)
        return verified

    async def _verify(self, token: str) -> Verified:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise InvalidToken("unknown issuer")
        if header.get("alg") not in issuer.algorithms:
            raise InvalidToken("algorithm not accepted")
        key = await issuer.keys.key_for(header.get("kid"))
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            claims = jwt.decode(
                token, key, algorithms=list(issuer.algorithms), audience=issuer.audience,
                issuer=issuer.name, leeway=self.leeway_s,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("token is for another audience") from None
        except jwt.PyJWTError:
            raise InvalidToken("signature or claims not valid") from None
        return self._verified(issuer, claims)

    @staticmethod
    def _verified(issuer: Issuer, claims: dict[str, Any]) -> Verified:
        sub = str(claims["sub"])
        role = role_from(_claim(claims, issuer.role_claim))
        if role is None:
            raise NoRole("this account has no role in the suite (operator, analyst or admin)")
        if issuer.local:
            version = claims.get("ver")
            if not isinstance(version, int) or not _IDENTIFIER.match(sub):
                raise InvalidToken("signature or claims not valid")
            name = claims.get("name")
            return Verified(Principal(role, sub, person=True,
                                      display_name=name if isinstance(name, str) else None),
                            local=True, session_version=version, claims=claims)
        name = claims.get("name") or claims.get("preferred_username")
        return Verified(Principal(role, oidc_subject(sub), person=True,
                                  display_name=str(name)[:200] if name else None),
                        local=False, session_version=None, claims=claims)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    auth_time: datetime


class SessionIssuer:
    """Registry's sign-in: short-lived tokens, renewable up to ``max_session`` after sign-in."""

    def __init__(self, keys: SigningKeys, issuer: str, audience: str, lifetime: timedelta,
                 max_session: timedelta) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.max_session = max_session

    def issue(self, *, operator_id: str, role: Role, display_name: str, session_version: int,
              now: datetime, auth_time: datetime | None = None) -> IssuedSession:
        """A token for a person; ``auth_time`` (when they typed the password) caps renewals."""
        auth_time = auth_time or now
        expires_at = min(now + self.lifetime, auth_time + self.max_session)
        expires = int(expires_at.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.audience, "sub": operator_id,
            "role": role.value, "name": display_name, "ver": session_version,
            "iat": int(now.timestamp()), "exp": expires,
            "auth_time": int(auth_time.timestamp()), "jti": secrets.token_hex(8),
        }
        return IssuedSession(self.keys.sign(claims),
                             datetime.fromtimestamp(expires, UTC), auth_time)

    def renewable(self, claims: dict[str, Any], now: datetime) -> datetime | None:
        """When the session began, if a renewal now would still add time; else None."""
        began = claims.get("auth_time")
        if not isinstance(began, int):
            return None
        auth_time = datetime.fromtimestamp(began, UTC)
        return auth_time if now < auth_time + self.max_session else None


__all__ = ["SIGNING_ALGORITHM", "InvalidToken", "Issuer", "NoRole", "SessionIssuer",
           "TokenVerifier", "Verified", "oidc_subject", "role_from"]
