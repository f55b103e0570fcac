"""The HTTP side every service shares: ops endpoints, limits, errors, access log, metrics."""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.errors import TRANSIENT
from shared.metrics import ServiceMetrics

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
    # The last added runs outermost: accounting sees every answer, 413s included.
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(Accounting, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        details = []
        for item in error.errors():
            entry = {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""),
                     "type": item.get("type", "")}
            details.append(entry)
        return JSONResponse({"detail": details}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
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
