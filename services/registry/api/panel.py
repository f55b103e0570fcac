"""The operator panel: ``GET /`` and its files under ``/static/``. The page itself needs no
token; every API call it makes carries one."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from services.registry.settings import RegistrySettings

STATIC = Path(__file__).resolve().parents[1] / "static"
_DEFAULT_COUNTRY = '<meta name="crm-default-country" content="RU">'


def install(app: FastAPI, settings: RegistrySettings) -> None:
    # The page is read once; the call center's region becomes a new caller's default country.
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        _DEFAULT_COUNTRY,
        f'<meta name="crm-default-country" content="{settings.default_region.upper()[:2]}">',
    )

    @app.get("/", include_in_schema=False)
    async def operator_panel() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
