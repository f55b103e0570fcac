"""Who a bearer token proves: machine clients, people, and the directory's say on sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.auth import (
    Authenticator,
    PeopleDirectory,
    RateLimiter,
    Role,
    TokenRegistry,
    Unauthenticated,
)
from shared.auth.keys import SigningKeys
from shared.auth.tokens import Issuer, SessionIssuer, TokenVerifier
from shared.contracts import OperatorUpdated
from shared.database.memory import MemoryDatabase
from shared.settings import DEV_SECRETS, MIN_SECRET_LENGTH, ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
STRONG = "x" * MIN_SECRET_LENGTH


def clients() -> TokenRegistry:
    return TokenRegistry(ServiceSettings(
        operator_token=SecretStr("op-secret"), analyst_token=SecretStr("an-secret"),
        admin_token=SecretStr("ad-secret")))


def test_each_machine_token_maps_to_its_role_as_a_client_not_a_person() -> None:
    tokens = clients()
    for token, role in (("op-secret", Role.OPERATOR), ("an-secret", Role.ANALYST),
                        ("ad-secret", Role.ADMIN)):
        principal = tokens.identify(token)
        assert principal is not None and principal.role is role
        assert principal.person is False and principal.operator_id is None
        assert principal.actor == f"client:{role.value}"


def test_an_unknown_or_partial_token_is_nobody() -> None:
    tokens = clients()
    assert tokens.identify("op-secre") is None
    assert tokens.identify("") is None


def test_missing_secrets_are_named() -> None:
    assert ServiceSettings(operator_token=None, analyst_token=None,
                           admin_token=SecretStr("x")).missing_secrets() == [
        "CRM_OPERATOR_TOKEN", "CRM_ANALYST_TOKEN"]


# Safer defaults ---------------------------------------------------------------------------
def production(**secrets: str) -> ServiceSettings:
    values = {"operator_token": STRONG, "analyst_token": STRONG, "admin_token": STRONG} | secrets
    return ServiceSettings(mongodb_url="mongodb://mongo-0/?replicaSet=rs0",
                           kafka_bootstrap_servers="kafka-1:9092",
                           **{k: SecretStr(v) for k, v in values.items()})


def test_the_embedded_mode_is_the_stand_in_and_a_broker_on_this_machine() -> None:
    assert ServiceSettings(kafka_bootstrap_servers="127.0.0.1:9092").embedded
    assert ServiceSettings(kafka_bootstrap_servers="localhost:19092,[::1]:9093").embedded
    assert not ServiceSettings(kafka_bootstrap_servers="kafka-1:9092").embedded
    assert not ServiceSettings(mongodb_url="mongodb://127.0.0.1:27018").embedded


def test_outside_the_embedded_mode_the_dev_tokens_are_refused_by_name() -> None:
    problems = production(admin_token="dev-admin-token").weak_secrets()
    assert problems == ["CRM_ADMIN_TOKEN is the development value from .env.example"]


def test_outside_the_embedded_mode_a_short_secret_is_refused() -> None:
    assert production(operator_token="s3cret").weak_secrets() == [
        f"CRM_OPERATOR_TOKEN is shorter than {MIN_SECRET_LENGTH} characters"]
    assert production().weak_secrets() == []


def test_the_dev_values_are_fine_in_the_embedded_mode() -> None:
    settings = ServiceSettings(admin_token=SecretStr("dev-admin-token"))
    assert settings.embedded and settings.weak_secrets() == []


def test_every_secret_of_env_example_is_known_as_a_dev_value() -> None:
    secrets = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.endswith(("_TOKEN", "_PASSWORD")) and value and not line.startswith("#"):
            secrets[key] = value
    assert secrets and set(secrets.values()) <= DEV_SECRETS


def test_a_half_configured_identity_provider_is_named() -> None:
    settings = ServiceSettings(oidc_issuer="https://idp.example")
    assert settings.oidc_problems() == [
        "a company identity provider needs CRM_OIDC_JWKS_URL, CRM_OIDC_AUDIENCE as well"]


# People -----------------------------------------------------------------------------------
NOW = datetime.now(UTC)


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    signing = SigningKeys(tmp_path / "keys")
    signing.ensure()
    return signing


def authenticator(keys: SigningKeys, people: PeopleDirectory,
                  strict: bool = False) -> Authenticator:
    verifier = TokenVerifier([Issuer("crm-registry", "crm", keys, local=True)])
    return Authenticator(clients(), verifier, people, strict=strict)


def token(keys: SigningKeys, version: int = 0) -> str:
    return SessionIssuer(keys, "crm-registry", "crm", timedelta(minutes=15),
                         timedelta(hours=12)).issue(
        operator_id="op-1", role=Role.OPERATOR, display_name="Anna", session_version=version,
        now=datetime.now(UTC)).token


async def person(people: PeopleDirectory, active: bool = True, version: int = 0) -> None:
    await people.mirror(OperatorUpdated(operator_id="op-1", display_name="Anna", active=active,
                                        session_version=version, role="operator"))


async def test_a_person_the_mirror_does_not_know_yet_is_let_through(keys: SigningKeys) -> None:
    people = PeopleDirectory(MemoryDatabase("t"))
    principal = await authenticator(keys, people).identify(token(keys))
    assert principal.operator_id == "op-1"


async def test_the_directory_itself_refuses_a_person_it_does_not_know(
        keys: SigningKeys) -> None:
    people = PeopleDirectory(MemoryDatabase("t"))
    with pytest.raises(Unauthenticated):
        await authenticator(keys, people, strict=True).identify(token(keys))


async def test_a_disabled_person_is_refused_at_once(keys: SigningKeys) -> None:
    people = PeopleDirectory(MemoryDatabase("t"))
    check = authenticator(keys, people)
    await person(people)
    assert (await check.identify(token(keys))).operator_id == "op-1"
    await person(people, active=False, version=1)
    with pytest.raises(Unauthenticated, match="no longer valid"):
        await check.identify(token(keys))


async def test_a_token_older_than_the_last_role_or_password_change_is_refused(
        keys: SigningKeys) -> None:
    people = PeopleDirectory(MemoryDatabase("t"))
    await person(people, version=2)
    with pytest.raises(Unauthenticated):
        await authenticator(keys, people).identify(token(keys, version=1))
    assert (await authenticator(keys, people).identify(token(keys, version=2))).person


async def test_a_replayed_older_update_does_not_undo_a_newer_one() -> None:
    people = PeopleDirectory(MemoryDatabase("t"), ttl_s=0)
    newer = OperatorUpdated(operator_id="op-1", display_name="Anna", active=False,
                            session_version=1, occurred_at=NOW)
    older = newer.model_copy(update={"active": True, "session_version": 0,
                                     "occurred_at": NOW - timedelta(minutes=5)})
    await people.mirror(newer)
    await people.mirror(older)
    stored = await people.person("op-1")
    assert stored is not None and stored.active is False


async def test_a_machine_token_never_looks_like_a_session(keys: SigningKeys) -> None:
    check = authenticator(keys, PeopleDirectory(MemoryDatabase("t")))
    assert (await check.identify("ad-secret")).role is Role.ADMIN
    with pytest.raises(Unauthenticated):
        await check.identify("a.b.c")


# Rate limits ------------------------------------------------------------------------------
def test_the_rate_limiter_allows_a_burst_then_refuses_until_refilled() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("t")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.allow("t")
    assert not allowed and 0 < wait <= 1
    now[0] = 1.0
    assert limiter.allow("t")[0] is True


def test_the_rate_limiter_keeps_people_apart() -> None:
    limiter = RateLimiter(rate_per_minute=60, burst=1, clock=lambda: 0.0)
    assert limiter.allow("op-a")[0] and limiter.allow("op-b")[0]
    assert not limiter.allow("op-a")[0]
