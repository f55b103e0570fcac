"""Registry's gateway for the panel's redemptions: loyalty's answers pass through; a
loyalty that does not answer is a 503 the panel retries with the same redemption id."""

from __future__ import annotations

import socket
from typing import Any

import httpx
from fastapi import FastAPI

from services.registry.api import loyalty
from services.registry.settings import RegistrySettings
from shared.auth import Principal, Role
from shared.auth.tokens import Verified

BODY = {"redemption_id": "r-1", "customer_id": "c-1", "points": 10}


class OperatorAuth:
    async def verify(self, token: str) -> Verified:
        return Verified(principal=Principal(Role.OPERATOR, "op-1", person=True),
                        local=True, session_version=None, claims={})


def gateway(loyalty_url: str) -> FastAPI:
    app = FastAPI()
    app.state.auth = OperatorAuth()
    loyalty.install(app, RegistrySettings(CRM_LOYALTY_URL=loyalty_url))  # type: ignore[call-arg]
    return app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


async def post(app: FastAPI, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return await c.post("/api/loyalty/redemptions", json=body,
                            headers={"Authorization": "Bearer a-token"})


async def test_a_loyalty_that_does_not_answer_is_a_503_with_retry_after() -> None:
    answer = await post(gateway(f"http://127.0.0.1:{closed_port()}"), BODY)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "never made twice" in answer.json()["detail"]


def test_loyalty_is_found_on_its_port_unless_named() -> None:
    assert RegistrySettings(CRM_LOYALTY_PORT=8102).loyalty_base_url() == (  # type: ignore[call-arg]
        "http://127.0.0.1:8102")
    named = RegistrySettings(CRM_LOYALTY_URL="http://loyalty:8002/")  # type: ignore[call-arg]
    assert named.loyalty_base_url() == "http://loyalty:8002"


async def test_a_body_that_is_no_object_is_refused_before_it_is_forwarded() -> None:
    answer = await post(gateway(f"http://127.0.0.1:{closed_port()}"), [1, 2])
    assert answer.status_code == 422
