"""The HTTP side every service shares: ops endpoints, limits, errors, access log, metrics,
security headers and the API docs."""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.auth.access import authenticate, bearer_token
from shared.errors import TRANSIENT
from shared.metrics import ServiceMetrics
from shared.retries import ATTEMPTS, is_transient_transaction_error

access = logging.getLogger("crm.access")
errors = logging.getLogger("crm.errors")


def route_template(scope: Any) -> str:
    """The matched route's path template (``/api/callers/{phone}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    return "static" if scope.get("path", "").startswith("/static/") else "unmatched"


class Accounting:
    """Access log and HTTP metrics by route template; ops endpoints are counted, not logged."""

    QUIET = frozenset({"/health", "/ready", "/metrics"})

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = route_template(scope)  # the router put the matched route into the scope
            elapsed = time.perf_counter() - started
            method = scope.get("method", "")
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_seconds.labels(method, route).observe(elapsed)
            if route not in self.QUIET:
                access.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes, declared or streamed (chunked), with 413."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        refused = False

        async def counting_receive() -> Any:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Answer now; the app sees a client that went away and stops reading.
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Any) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps(
            {"detail": f"request body exceeds the limit of {self.limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


#: On every answer: no MIME sniffing, no framing (clickjacking), no URL in a Referer (a
#: path or ?access_token= must not reach another site).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
#: On /api/ answers, which carry personal data: no copy in a browser or proxy cache, and
#: JSON that a browser opened by mistake may run nothing.
API_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response and ``API_HEADERS`` to those under /api/
    (an /api/ route's own Cache-Control gives way; other headers a route set are kept)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=self._headers(message.get("headers", ()), api))
            await send(message)

        await self.app(scope, receive, with_headers)

    @staticmethod
    def _headers(headers: Any, api: bool) -> list[tuple[bytes, bytes]]:
        added = SECURITY_HEADERS + (API_HEADERS if api else ())
        forced = {name for name, _ in SECURITY_HEADERS} | ({b"cache-control"} if api else set())
        kept = [(name, value) for name, value in headers if name.lower() not in forced]
        present = {name.lower() for name, _ in kept}
        return kept + [(name, value) for name, value in added if name not in present]


# Reported by /ready without gating it: while the consumer group is being joined (seconds
# at start, up to a session timeout after a crash) the HTTP API serves from the database,
# and events wait in Kafka.
ADVISORY = frozenset({"consumer"})


def install_common(app: FastAPI, metrics: ServiceMetrics, max_body_bytes: int,
                   ready: Callable[[], Awaitable[dict[str, Any]]], service: str) -> None:
    """Error handlers, body limit, accounting, and /health, /ready, /metrics.

    /health and /ready name the service and its pid, so a supervisor (or an engineer with
    curl) can tell that the process answering on a port is the one it started.
    """
    # The last added runs outermost: accounting sees every answer, 413s included, and
    # those carry the security headers too.
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Accounting, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        details = []
        for item in error.errors():
            entry = {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""),
                     "type": item.get("type", "")}
            accepted = (item.get("ctx") or {}).get("accepted")
            if accepted is not None:  # e.g. the currencies the suite values
                entry["accepted"] = accepted
            details.append(entry)
        return JSONResponse({"detail": details}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        if is_transient_transaction_error(error):  # still conflicting after the retries
            errors.warning("%s %s: transient transaction error after %d attempts (%s)",
                           request.method, route_template(request.scope), ATTEMPTS,
                           type(error).__name__)
            return JSONResponse({"detail": "the data changed meanwhile; try again"},
                                status_code=503, headers={"Retry-After": "1"})
        # The frames say where; the message is left out, as it may quote personal data.
        frames = "\n".join(f"  {frame.filename}:{frame.lineno} in {frame.name}"
                           for frame in traceback.extract_tb(error.__traceback__))
        errors.error("unhandled %s in %s %s\n%s", type(error).__name__, request.method,
                     route_template(request.scope), frames)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    async def dependency_unavailable(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": "a dependency is unavailable, try again shortly"},
                            status_code=503, headers={"Retry-After": "2"})

    for outage in TRANSIENT:  # a database or broker outage is a 503, not a 500
        app.add_exception_handler(outage, dependency_unavailable)

    @app.get("/health", tags=["ops"], summary="The process is alive")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "service": service, "pid": os.getpid()}

    @app.get("/ready", tags=["ops"], summary="Broker and database are reachable")
    async def readiness() -> JSONResponse:
        checks = await ready()
        ok = all(value == "ok" for name, value in checks.items() if name not in ADVISORY)
        return JSONResponse({"status": "ok" if ok else "unavailable", "service": service,
                             "pid": os.getpid(), "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return PlainTextResponse(generate_latest(metrics.registry),
                                 media_type=CONTENT_TYPE_LATEST)


ApiDocs = Literal["public", "token", "off"]
AccessToken = Annotated[str | None, Query(description="A token, for a browser (no header)")]


def install_api_docs(app: FastAPI, mode: ApiDocs) -> None:
    """``/openapi.json``, ``/docs`` and ``/redoc`` as ``CRM_API_DOCS`` allows.

    ``token``: any valid token, in the Authorization header or as ``?access_token=``, since
    a browser opening /docs sends no header; the page then loads the schema with the same
    token (the Referrer-Policy keeps it from the CDN the page loads its script from).
    ``off``: the routes do not exist (404). The schema is built from the app object either
    way, so ``make docs`` does not depend on the setting. Create the app with
    ``docs_url=None, redoc_url=None, openapi_url=None`` so that these are the only routes.
    """
    if mode == "off":
        return
    no_store = {"Cache-Control": "no-store"}

    async def admitted(request: Request, access_token: str | None) -> str:
        """The query string that lets the docs page load the schema ("" when public)."""
        if mode == "public":
            return ""
        token = access_token
        if token is None:
            try:
                token = bearer_token(request)
            except HTTPException as missing:
                raise HTTPException(
                    missing.status_code, "the API docs need a token: send it as a bearer "
                    "token, or open /docs?access_token=<token> in a browser",
                    headers=missing.headers) from None
        await authenticate(request, token)
        return "?access_token=" + quote(token, safe="")

    def schema_url(request: Request, query: str) -> str:
        return f"{request.scope.get('root_path', '')}/openapi.json{query}"

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request, access_token: AccessToken = None) -> JSONResponse:
        await admitted(request, access_token)
        return JSONResponse(app.openapi(), headers=no_store)

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request, access_token: AccessToken = None) -> HTMLResponse:
        query = await admitted(request, access_token)
        page = get_swagger_ui_html(openapi_url=schema_url(request, query),
                                   title=f"{app.title} - API")
        page.headers.update(no_store)
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request, access_token: AccessToken = None) -> HTMLResponse:
        query = await admitted(request, access_token)
        page = get_redoc_html(openapi_url=schema_url(request, query),
                              title=f"{app.title} - API", with_google_fonts=False)
        page.headers.update(no_store)
        return page
