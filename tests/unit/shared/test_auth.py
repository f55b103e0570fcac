"""Roles by bearer token and the per-token rate limiter."""

from pydantic import SecretStr

from shared.auth import RateLimiter, Role, TokenRegistry
from shared.settings import ServiceSettings


def registry() -> TokenRegistry:
    return TokenRegistry(ServiceSettings(
        operator_token=SecretStr("op-secret"), analyst_token=SecretStr("an-secret"),
        admin_token=SecretStr("ad-secret")))


def test_each_token_maps_to_its_role() -> None:
    tokens = registry()
    assert tokens.identify("op-secret").role is Role.OPERATOR  # type: ignore[union-attr]
    assert tokens.identify("an-secret").role is Role.ANALYST  # type: ignore[union-attr]
    assert tokens.identify("ad-secret").role is Role.ADMIN  # type: ignore[union-attr]


def test_an_unknown_or_partial_token_is_nobody() -> None:
    tokens = registry()
    assert tokens.identify("op-secre") is None
    assert tokens.identify("") is None


def test_the_token_id_reveals_nothing_of_the_token() -> None:
    principal = registry().identify("op-secret")
    assert principal is not None and "secret" not in principal.operator_id


def test_missing_secrets_are_named() -> None:
    assert ServiceSettings(operator_token=None, analyst_token=None,
                           admin_token=SecretStr("x")).missing_secrets() == [
        "CRM_OPERATOR_TOKEN", "CRM_ANALYST_TOKEN"]


def test_the_rate_limiter_allows_a_burst_then_refuses_until_refilled() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("t")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.allow("t")
    assert not allowed and 0 < wait <= 1
    now[0] = 1.0
    assert limiter.allow("t")[0] is True


def test_the_rate_limiter_keeps_tokens_apart() -> None:
    limiter = RateLimiter(rate_per_minute=60, burst=1, clock=lambda: 0.0)
    assert limiter.allow("a")[0] and limiter.allow("b")[0]
    assert not limiter.allow("a")[0]
