"""The operator panel: ``GET /`` and its files under ``/static/``. The page itself needs no
token; every API call it makes carries one.

Registry puts into the page what has its one source in Python: the shared sign-in header
(``static/sign-in.html``, also the analyst view's), the call center's settings and the
texts the panel shows (payment policies, risk reasons, advice: ``domain/``).
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from services.registry.domain.advice import CATEGORY_ADVICE, SEGMENT_ADVICE
from services.registry.domain.policy import PAYMENT_POLICY_TEXT
from services.registry.domain.reasons import REASON_TEXT
from services.registry.settings import RegistrySettings
from shared.currencies import default_table, minor_units, valued

STATIC = Path(__file__).resolve().parents[1] / "static"
_SIGN_IN = re.compile(r"( *)<crm-sign-in>(.*?)</crm-sign-in>\n", re.DOTALL)
_OWN_DETAILS = "  <!-- the page's own session details -->\n"
_TEXTS = '<script type="application/json" id="crm-texts">{}</script>'
_DEFAULT_COUNTRY = '<meta name="crm-default-country" content="RU">'
_CURRENCIES = '<datalist id="purchase-currencies" data-testid="purchase-currencies"></datalist>'
_VALUE_CURRENCY = '<meta name="crm-value-currency" content="RUB" data-minor-units="2">'

#: The panel runs only its own files: no inline script or style, no eval, no other origin,
#: and no page may frame it. Its API calls and the call stream (EventSource) are same-origin;
#: the scripts colour badges through the CSSOM (element.style), which CSP leaves alone.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PANEL_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}


class PanelFiles(StaticFiles):
    """The panel's files with its policy, so /static/index.html is no way around it; the
    pages (``pages``, by file name) as registry serves them, not their templates."""

    def __init__(self, pages: dict[str, str]) -> None:
        super().__init__(directory=STATIC)
        self.pages = pages

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path in self.pages and scope["method"] in ("GET", "HEAD"):
            return served(self.pages[path])
        return await super().get_response(path, scope)

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(PANEL_HEADERS)
        return response


def served(html: str) -> HTMLResponse:
    """A page under the panel's policy, which browsers check for a newer one on every visit."""
    return HTMLResponse(html, headers={"Cache-Control": "no-cache", **PANEL_HEADERS})


def value_currency() -> str:
    return default_table().value_currency


def page(name: str) -> str:
    """A page of ``static/`` with the sign-in header in place of its ``<crm-sign-in>``
    element, whose content (the page's own session details) goes beside the person's name."""
    header = (STATIC / "sign-in.html").read_text(encoding="utf-8")

    def signed_in(found: re.Match[str]) -> str:
        indent, own = found.group(1), textwrap.indent(textwrap.dedent(found.group(2)), "  ")
        return textwrap.indent(header.replace(_OWN_DETAILS, own.lstrip("\n")), indent)

    return _SIGN_IN.sub(signed_in, (STATIC / name).read_text(encoding="utf-8"), count=1)


def panel_texts() -> dict[str, object]:
    """The texts the panel shows, from their one source (``domain/``)."""
    return {"payment_policy": PAYMENT_POLICY_TEXT, "reasons": REASON_TEXT,
            "advice": {"category": CATEGORY_ADVICE, "segment": SEGMENT_ADVICE}}


def texts_block(texts: dict[str, object]) -> str:
    """Texts as JSON in a data block: data, not script, so the policy lets the page read it.
    No "<" inside, so no text can end the block."""
    data = json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")
    return _TEXTS.replace("{}", data)


def operator_panel_page(settings: RegistrySettings) -> str:
    """The panel's page: the call center's region becomes a new caller's default country,
    the currencies the suite values (shared/currencies.yaml) the currency choices, and the
    panel's texts are the domain's."""
    options = "".join(f'<option value="{code}"></option>' for code in valued())
    return page("index.html").replace(
        _DEFAULT_COUNTRY,
        f'<meta name="crm-default-country" content="{settings.default_region.upper()[:2]}">',
    ).replace(_CURRENCIES, _CURRENCIES.replace("></", f">{options}</")).replace(
        _VALUE_CURRENCY, f'<meta name="crm-value-currency" content="{value_currency()}" '
                         f'data-minor-units="{minor_units(value_currency())}">',
    ).replace(_TEXTS, texts_block(panel_texts()))


def install(app: FastAPI, settings: RegistrySettings) -> None:
    pages = {"index.html": operator_panel_page(settings),  # read once
             "analytics.html": page("analytics.html")}

    @app.get("/", include_in_schema=False)
    async def operator_panel() -> HTMLResponse:
        return served(pages["index.html"])

    app.mount("/static", PanelFiles(pages), name="static")
