"""Security headers on every answer, and the API docs as CRM_API_DOCS allows, on the real
service apps (not started: these routes need neither the broker nor the database)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.scoring.app import create_app as scoring_app
from services.scoring.settings import ScoringSettings

TOKENS = {"operator_token": "o" * 32, "analyst_token": "a" * 32, "admin_token": "d" * 32}


def scoring(**settings: Any) -> FastAPI:
    return scoring_app(ScoringSettings(**TOKENS, **settings))


async def get(app: FastAPI, path: str, token: str | None = None,
              **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers, params=params)


async def test_every_answer_forbids_sniffing_framing_and_referrers() -> None:
    app = scoring()
    for response in (await get(app, "/health"), await get(app, "/openapi.json"),
                     await get(app, "/api/scores/c-1")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_api_answers_are_never_cached_and_run_nothing() -> None:
    response = await get(scoring(), "/api/scores/c-1")
    assert response.status_code == 401  # refused answers carry the headers too
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'")
    assert "cache-control" not in (await get(scoring(), "/health")).headers


async def test_the_api_docs_need_a_token_by_default() -> None:
    app = scoring()
    for path in ("/openapi.json", "/docs", "/redoc"):
        refused = await get(app, path)
        assert refused.status_code == 401, path
        assert "access_token" in refused.json()["detail"]
        assert (await get(app, path, token="not-a-token")).status_code == 401
    schema = await get(app, "/openapi.json", token=TOKENS["analyst_token"])
    assert schema.status_code == 200
    assert "/api/scores/{customer_id}" in schema.json()["paths"]
    assert schema.headers["cache-control"] == "no-store"


async def test_a_browser_opens_the_docs_with_the_token_in_the_query() -> None:
    app = scoring()
    page = await get(app, "/docs", access_token=TOKENS["operator_token"])
    assert page.status_code == 200
    # The page loads the schema with the same token, which that URL then admits.
    assert f"/openapi.json?access_token={TOKENS['operator_token']}" in page.text
    assert (await get(app, "/openapi.json", access_token=TOKENS["operator_token"])
            ).status_code == 200
    redoc = await get(app, "/redoc", access_token=TOKENS["admin_token"])
    assert f"/openapi.json?access_token={TOKENS['admin_token']}" in redoc.text


async def test_a_token_in_the_docs_page_cannot_break_out_of_its_script() -> None:
    token = "x' + alert(1) + '" + "x" * 32
    app = scoring_app(ScoringSettings(**(TOKENS | {"admin_token": token})))
    page = await get(app, "/docs", access_token=token)
    assert page.status_code == 200
    assert "/openapi.json?access_token=x%27%20%2B%20alert%281%29" in page.text
    assert "alert(1)" not in page.text


async def test_public_docs_need_nothing_and_off_means_absent() -> None:
    public = scoring(api_docs="public")
    assert (await get(public, "/openapi.json")).status_code == 200
    page = await get(public, "/docs")
    assert page.status_code == 200 and "url: '/openapi.json'" in page.text
    off = scoring(api_docs="off")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert (await get(off, path, token=TOKENS["admin_token"])).status_code == 404


def test_the_docs_build_from_the_app_whatever_the_setting() -> None:
    # `make docs` calls app.openapi(), never the routes.
    assert "/api/scores/{customer_id}" in scoring(api_docs="off").openapi()["paths"]


@pytest.mark.parametrize("path", ["/", "/static/index.html"])
async def test_the_panel_runs_only_its_own_files_and_is_never_framed(path: str) -> None:
    app = registry_app(RegistrySettings(**TOKENS))
    response = await get(app, path)
    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1)
                  for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
