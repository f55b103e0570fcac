"""The HTTP side every service shares: body limits and error shapes."""

import os

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from shared.http import install_common
from shared.metrics import ServiceMetrics


class Note(BaseModel):
    text: str


METRICS = ServiceMetrics("test")


def app() -> FastAPI:
    application = FastAPI()

    async def ready() -> dict[str, str]:
        return {"database": "ok"}

    install_common(application, METRICS, max_body_bytes=100, ready=ready, service="test")

    @application.post("/notes")
    async def create(note: Note) -> dict[str, str]:
        return {"text": note.text}

    router = APIRouter()

    @router.get("/api/callers/{phone}")
    async def card(phone: str) -> dict[str, str]:
        return {"ok": "yes"}

    application.include_router(router)
    return application


async def post(body: bytes | object, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/notes", content=body, **kwargs)  # type: ignore[arg-type]


async def test_a_declared_oversized_body_is_refused_with_413() -> None:
    response = await post(b'{"text": "' + b"x" * 200 + b'"}')
    assert response.status_code == 413
    assert "limit of 100 bytes" in response.json()["detail"]


async def test_a_streamed_oversized_body_without_length_is_refused_with_413() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 50
        yield b'"}'

    response = await post(chunks())
    assert response.status_code == 413


async def test_malformed_json_is_a_422_with_a_detail() -> None:
    response = await post(b'{"text": ', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_health_and_ready_name_the_service_answering() -> None:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        health = (await client.get("/health")).json()
        ready = (await client.get("/ready")).json()
    assert health == {"status": "ok", "service": "test", "pid": os.getpid()}
    assert ready == {"status": "ok", "service": "test", "pid": os.getpid(),
                     "checks": {"database": "ok"}}


async def test_a_consumer_still_joining_does_not_make_the_service_unready() -> None:
    async def joining() -> dict[str, str]:
        return {"database": "ok", "consumer": "joining"}

    async def database_down() -> dict[str, str]:
        return {"database": "unavailable: ServerSelectionTimeoutError", "consumer": "ok"}

    answers = []
    for ready in (joining, database_down):
        application = FastAPI()
        install_common(application, METRICS, max_body_bytes=100, ready=ready, service="test")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers.append((await client.get("/ready")).status_code)
    assert answers == [200, 503]


async def test_a_small_valid_body_passes() -> None:
    response = await post(b'{"text": "hi"}', headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json() == {"text": "hi"}


async def test_requests_are_counted_by_route_template_never_by_raw_path() -> None:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/callers/+79001234567")).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert 'route="/api/callers/{phone}"' in metrics
    assert "79001234567" not in metrics


async def test_a_refused_oversized_body_is_still_counted() -> None:
    await post(b"x" * 500)
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        metrics = (await client.get("/metrics")).text
    assert 'status="413"' in metrics


async def test_an_unexpected_error_is_logged_with_its_place_but_not_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    application = app()

    @application.get("/boom")
    async def boom() -> None:
        raise KeyError("+79001234567")

    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unhandled KeyError in GET /boom" in logged
    assert "in boom" in logged
    assert "79001234567" not in logged
