"""Session tokens: registry's signed JWTs and a company identity provider's, verified locally."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth import Role
from shared.auth.keys import RemoteKeySet, SigningKeys
from shared.auth.tokens import (
    InvalidToken,
    Issuer,
    NoRole,
    SessionIssuer,
    TokenVerifier,
    oidc_subject,
    role_from,
)

IDP = "https://login.example.com/realms/callcenter"


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    signing = SigningKeys(tmp_path / "keys")
    signing.ensure()
    return signing


def issuer(keys: SigningKeys, minutes: int = 15) -> SessionIssuer:
    return SessionIssuer(keys, "crm-registry", "crm", timedelta(minutes=minutes),
                         timedelta(hours=12))


def verifier(keys: Any, *more: Issuer) -> TokenVerifier:
    return TokenVerifier([Issuer("crm-registry", "crm", keys, local=True), *more])


def session(keys: SigningKeys, now: datetime | None = None, **changes: Any) -> str:
    fields: dict[str, Any] = {"operator_id": "op-1", "role": Role.OPERATOR,
                              "display_name": "Anna Petrova", "session_version": 3,
                              "now": now or datetime.now(UTC)}
    return issuer(keys).issue(**(fields | changes)).token


def after(keys: SigningKeys, **delta: float) -> datetime:
    """A moment after the signing key was made (key ids tell time to the second)."""
    return keys.active.created_at + timedelta(**delta)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_session_token_proves_the_person_their_role_and_session_version(
        keys: SigningKeys) -> None:
    verified = await verifier(keys).verify(session(keys))
    assert verified.principal.subject == "op-1" and verified.principal.person
    assert verified.principal.role is Role.OPERATOR
    assert verified.principal.display_name == "Anna Petrova"
    assert verified.session_version == 3 and verified.local


async def test_an_expired_token_is_refused(keys: SigningKeys) -> None:
    with pytest.raises(InvalidToken, match="expired"):
        await verifier(keys).verify(session(keys, now=datetime.now(UTC) - timedelta(hours=1)))


async def test_a_tampered_token_is_refused(keys: SigningKeys) -> None:
    header, payload, signature = session(keys).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = f"{header}.{_b64(claims | {'role': 'admin'})}.{signature}"
    with pytest.raises(InvalidToken):
        await verifier(keys).verify(forged)


async def test_an_unsigned_alg_none_token_is_refused(keys: SigningKeys) -> None:
    claims = jwt.decode(session(keys), options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    with pytest.raises(InvalidToken):
        await verifier(keys).verify(unsigned)


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(keys: SigningKeys) -> None:
    claims = jwt.decode(session(keys), options={"verify_signature": False})
    public = json.dumps(keys.jwks()["keys"][0]).encode()
    signed = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': keys.active.kid})}.{_b64(claims)}"
    mac = hmac.new(public, signed.encode(), hashlib.sha256).digest()
    confused = f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(InvalidToken, match="algorithm"):
        await verifier(keys).verify(confused)


async def test_a_token_for_another_audience_is_refused(keys: SigningKeys) -> None:
    other = SessionIssuer(keys, "crm-registry", "billing", timedelta(minutes=5),
                          timedelta(hours=1)).issue(
        operator_id="op-1", role=Role.ADMIN, display_name="A", session_version=0,
        now=datetime.now(UTC))
    with pytest.raises(InvalidToken, match="audience"):
        await verifier(keys).verify(other.token)


async def test_a_token_of_an_unknown_issuer_or_key_is_refused(tmp_path: Path,
                                                              keys: SigningKeys) -> None:
    stranger = SigningKeys(tmp_path / "other")
    stranger.ensure()
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier(keys).verify(session(stranger))
    with pytest.raises(InvalidToken):
        await verifier(keys).verify("not.a.token")


async def test_a_rotation_logs_nobody_out_and_new_tokens_use_the_new_key(
        keys: SigningKeys) -> None:
    before = session(keys)
    old_kid = keys.active.kid
    new_kid = keys.rotate(timedelta(minutes=60), now=after(keys, seconds=1))
    assert new_kid != old_kid
    assert (await verifier(keys).verify(before)).principal.subject == "op-1"
    assert jwt.get_unverified_header(session(keys))["kid"] == new_kid
    assert {key["kid"] for key in keys.jwks()["keys"]} == {old_kid, new_kid}


async def test_a_retired_key_is_deleted_once_its_tokens_have_expired(
        keys: SigningKeys) -> None:
    old_kid = keys.active.kid
    keys.rotate(timedelta(minutes=60), now=after(keys, seconds=1))
    keys.rotate(timedelta(minutes=60), now=after(keys, hours=2))
    assert old_kid not in {key["kid"] for key in keys.jwks()["keys"]}
    assert len(keys.jwks()["keys"]) == 2


def test_another_process_sees_a_rotation(keys: SigningKeys) -> None:
    elsewhere = SigningKeys(keys.directory)
    elsewhere.ensure()
    new_kid = keys.rotate(timedelta(minutes=60), now=after(keys, seconds=1))
    elsewhere.refresh()
    assert elsewhere.active.kid == new_kid


def test_the_jwks_publishes_public_keys_only(keys: SigningKeys) -> None:
    [key] = keys.jwks()["keys"]
    assert key["kty"] == "OKP" and key["alg"] == "EdDSA" and key["use"] == "sig"
    assert "d" not in key


def test_a_renewal_is_possible_until_the_longest_session_life(keys: SigningKeys) -> None:
    sessions = issuer(keys)
    now = datetime.now(UTC)
    began = now - timedelta(hours=11, minutes=55)
    issued = sessions.issue(operator_id="op-1", role=Role.OPERATOR, display_name="A",
                            session_version=0, now=now, auth_time=began)
    assert issued.expires_at <= began + timedelta(hours=12)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert sessions.renewable(claims, now) is not None
    assert sessions.renewable(claims, now + timedelta(minutes=6)) is None


# A company identity provider --------------------------------------------------------------
class IdentityProvider:
    """An OpenID Connect provider's signing key and JWKS, generated here."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [public | {"kid": "idp-1", "use": "sig", "alg": "RS256"}]}
        self.fetches = 0

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.fetches += 1
            return httpx.Response(200, json=self.jwks)

        return httpx.MockTransport(answer)

    def token(self, **claims: Any) -> str:
        now = datetime.now(UTC)
        base = {"iss": IDP, "aud": "crm", "sub": "f1d2-77", "name": "Reza Ahmadi",
                "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp()),
                "realm_access": {"roles": ["offline_access", "operator", "analyst"]}}
        return jwt.encode(base | claims, self.key, algorithm="RS256", headers={"kid": "idp-1"})


def with_provider(keys: SigningKeys, provider: IdentityProvider) -> TokenVerifier:
    remote = RemoteKeySet(IDP + "/certs", transport=provider.transport())
    return verifier(keys, Issuer(IDP, "crm", remote, local=False,
                                 role_claim="realm_access.roles"))


async def test_a_token_of_the_company_provider_is_verified_with_its_jwks(
        keys: SigningKeys) -> None:
    provider = IdentityProvider()
    verified = await with_provider(keys, provider).verify(provider.token())
    assert verified.principal.subject == "oidc:f1d2-77"
    assert verified.principal.role is Role.ANALYST  # the highest of its suite roles
    assert verified.principal.display_name == "Reza Ahmadi"
    assert not verified.local and verified.session_version is None


async def test_the_provider_jwks_is_fetched_once_and_cached(keys: SigningKeys) -> None:
    provider = IdentityProvider()
    check = with_provider(keys, provider)
    for _ in range(3):
        await check.verify(provider.token())
    assert provider.fetches == 1


async def test_a_provider_token_without_a_suite_role_is_forbidden_not_unknown(
        keys: SigningKeys) -> None:
    provider = IdentityProvider()
    with pytest.raises(NoRole):
        await with_provider(keys, provider).verify(
            provider.token(realm_access={"roles": ["offline_access"]}))


async def test_a_provider_token_for_another_audience_is_refused(keys: SigningKeys) -> None:
    provider = IdentityProvider()
    with pytest.raises(InvalidToken, match="audience"):
        await with_provider(keys, provider).verify(provider.token(aud="grafana"))


async def test_a_provider_token_signed_by_someone_else_is_refused(keys: SigningKeys) -> None:
    provider, impostor = IdentityProvider(), IdentityProvider()
    with pytest.raises(InvalidToken):
        await with_provider(keys, provider).verify(impostor.token())


def test_role_claims_may_be_a_string_or_a_list() -> None:
    assert role_from("admin") is Role.ADMIN
    assert role_from(["operator", "admin"]) is Role.ADMIN
    assert role_from(["viewer", 3]) is None
    assert role_from(None) is None


def test_a_provider_subject_becomes_a_valid_operator_id() -> None:
    assert oidc_subject("00u1abcd") == "oidc:00u1abcd"
    odd = oidc_subject("CN=Reza Ahmadi/OU=Sales" * 4)
    assert odd.startswith("oidc:") and len(odd) <= 64 and " " not in odd


async def test_a_remembered_token_is_still_refused_once_it_expires(keys: SigningKeys) -> None:
    check = TokenVerifier([Issuer("crm-registry", "crm", keys, local=True)], leeway_s=0)
    short = SessionIssuer(keys, "crm-registry", "crm", timedelta(seconds=2),
                          timedelta(hours=1)).issue(
        operator_id="op-1", role=Role.OPERATOR, display_name="A", session_version=0,
        now=datetime.now(UTC))
    first = await check.verify(short.token)
    assert await check.verify(short.token) is first  # remembered, not parsed again
    await asyncio.sleep(max(0.0, short.expires_at.timestamp() - time.time()) + 1.1)
    with pytest.raises(InvalidToken, match="expired"):
        await check.verify(short.token)
