"""Issue 14's hardening, from outside: headers on every service's answers, the panel's
policy, API docs behind a token, and jobs that refuse to run as of another time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.suite import ALL_SERVICES, TOKENS, Suite

SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}


@pytest.mark.parametrize("service", ALL_SERVICES)
async def test_every_service_sends_the_security_headers(suite: Suite, service: str) -> None:
    async with suite.client(service, role="admin") as admin:
        answers = [await admin.get("/health"), await admin.get("/api/privacy/c-nobody")]
    for answer in answers:
        assert {name: answer.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert answers[1].headers["cache-control"] == "no-store"


async def test_the_panel_allows_only_its_own_scripts_and_no_framing(suite: Suite) -> None:
    async with httpx.AsyncClient(base_url=suite.url("registry")) as browser:
        page = await browser.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("service", ALL_SERVICES)
async def test_api_docs_answer_only_with_a_token(suite: Suite, service: str) -> None:
    async with suite.client(service, role=None) as anyone:
        assert (await anyone.get("/openapi.json")).status_code == 401
        assert (await anyone.get("/docs")).status_code == 401
        page = await anyone.get("/docs", params={"access_token": TOKENS["operator"]})
    assert page.status_code == 200
    async with suite.client(service, role="analyst") as analyst:
        schema = await analyst.get("/openapi.json")
    assert schema.status_code == 200 and schema.json()["paths"]


async def test_a_lapse_check_as_of_the_future_is_refused(suite: Suite) -> None:
    async with suite.client("loyalty", role="admin") as admin:
        runs = len((await admin.get("/api/loyalty/jobs/history")).json()["entries"])
        future = datetime.now(UTC) + timedelta(days=400)
        refused = await admin.post("/api/loyalty/jobs/lapse/run",
                                   params={"now": future.isoformat()})
        history = (await admin.get("/api/loyalty/jobs/history")).json()["entries"]
    assert refused.status_code == 422
    assert "future" in refused.json()["detail"]
    assert len(history) == runs  # refused before it ran: nothing recorded


async def test_a_job_as_of_a_moment_within_its_window_runs(suite: Suite) -> None:
    moment = datetime.now(UTC) - timedelta(minutes=1)
    async with suite.client("loyalty", role="admin") as admin:
        for job in ("lapse", "tiers"):
            ran = await admin.post(f"/api/loyalty/jobs/{job}/run",
                                   params={"now": moment.isoformat()})
            assert ran.status_code == 200, ran.text
            assert datetime.fromisoformat(ran.json()["now"]) == moment
