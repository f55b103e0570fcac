"""The Asterisk bridge over real sockets: a stand-in PBX replays a recorded ARI sequence on a
websocket, a stand-in registry takes the webhook's posts. The bridge posts the right bodies
with the telephony token, reconnects when the PBX drops it, and retries a refused post."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr
from websockets.asyncio.server import ServerConnection, serve

from services.registry.gateways.bridge import AsteriskBridge, BridgeConfig, Credentials
from tests.support.suite import eventually

FIXTURES = Path(__file__).parents[1] / "fixtures" / "asterisk"
TOKEN = "test-telephony-token-0123456789abcdef"
ANSWERED_CALL_101 = [
    {"call_id": "1795850102.14", "event": "ringing", "from": "+79161234567",
     "extension": "101", "at": "2026-11-28T10:15:02.124000+03:00"},
    {"call_id": "1795850102.14", "event": "answered", "from": "+79161234567",
     "extension": "101", "at": "2026-11-28T10:15:08.520000+03:00"},
    {"call_id": "1795850102.14", "event": "ended", "from": "+79161234567",
     "extension": "101", "at": "2026-11-28T10:16:43.897000+03:00", "duration_s": 95},
]


def recorded(name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text())
    return events


@dataclass
class Registry:
    """Takes the webhook's posts; answers the first ones with ``refusals``, then 202."""

    url: str = ""
    refusals: list[int] = field(default_factory=list)
    attempts: int = 0
    answering: asyncio.Event = field(default_factory=asyncio.Event)
    taken: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)


@dataclass
class Pbx:
    """Each connection plays the next script; at a ``None`` in it, the connection is dropped
    once the test sets ``drop``: its transport aborted, as a network failure does, or closed
    as Asterisk does when it shuts down."""

    url: str = ""
    close_cleanly: bool = False
    scripts: list[list[dict[str, Any] | None]] = field(default_factory=list)
    drop: asyncio.Event = field(default_factory=asyncio.Event)
    requests: list[tuple[str, str]] = field(default_factory=list)  # path, Authorization


def listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
async def registry() -> AsyncIterator[Registry]:
    state, app = Registry(), FastAPI()
    state.answering.set()

    @app.post("/api/telephony/events")
    async def call_event(request: Request) -> Response:
        state.attempts += 1
        await state.answering.wait()
        if state.refusals:
            return Response(status_code=state.refusals.pop(0))
        state.tokens.add(request.headers.get("authorization", ""))
        state.taken.append(await request.json())
        return Response(status_code=202)

    sock = listening()
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           lifespan="off", timeout_graceful_shutdown=2))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, timeout_s=5, interval_s=0.01, what="registry")
    yield state
    state.answering.set()  # a test that failed while holding a post back must not hang here
    server.should_exit = True
    await serving


@pytest.fixture
async def pbx() -> AsyncIterator[Pbx]:
    state = Pbx()

    async def play(connection: ServerConnection) -> None:
        assert connection.request is not None
        state.requests.append((connection.request.path,
                               connection.request.headers.get("Authorization", "")))
        script = state.scripts.pop(0) if state.scripts else []
        for event in script:
            if event is None:
                await state.drop.wait()
                if state.close_cleanly:
                    await connection.close()
                else:
                    connection.transport.abort()
                return
            await connection.send(json.dumps(event))
        await connection.wait_closed()

    async with serve(play, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        state.url = f"http://127.0.0.1:{port}"
        yield state


@pytest.fixture
async def bridge(pbx: Pbx, registry: Registry) -> AsyncIterator[AsteriskBridge]:
    credentials = Credentials(CRM_ARI_USER="crm", CRM_ARI_PASSWORD=SecretStr("ari-secret"),
                              CRM_TELEPHONY_TOKEN=SecretStr(TOKEN))
    running = AsteriskBridge(BridgeConfig(pbx.url, "crm", registry.url, credentials,
                                          retry_delay_s=0.01, reconnect_delay_s=0.05))
    task = asyncio.create_task(running.run())
    yield running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def taken(registry: Registry, count: int) -> list[dict[str, Any]]:
    await eventually(lambda: len(registry.taken) >= count, timeout_s=5, interval_s=0.01,
                     what=f"{count} call events posted")
    return registry.taken


async def test_the_bridge_posts_each_step_of_a_call_with_the_telephony_token(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge) -> None:
    pbx.scripts.append([*recorded("answered_call_101")])
    assert await taken(registry, 3) == ANSWERED_CALL_101
    assert registry.tokens == {f"Bearer {TOKEN}"}
    await eventually(lambda: bridge.forwarded == 3, timeout_s=5, interval_s=0.01,
                     what="three posts answered")


async def test_the_bridge_subscribes_to_all_events_as_the_ari_user(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge) -> None:
    pbx.scripts.append([*recorded("unanswered_call_102")])
    await taken(registry, 2)
    basic = base64.b64encode(b"crm:ari-secret").decode()
    assert pbx.requests == [("/ari/events?app=crm&subscribeAll=true", f"Basic {basic}")]


@pytest.mark.parametrize("drop", ["aborted", "closed"])
async def test_the_bridge_reconnects_when_the_pbx_drops_it_and_the_call_goes_on(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge, drop: str) -> None:
    events = recorded("answered_call_101")
    hang_up = next(i for i, e in enumerate(events) if e["type"] == "ChannelHangupRequest")
    pbx.close_cleanly = drop == "closed"
    pbx.scripts += [[*events[:hang_up], None], [*events[hang_up:]]]
    assert await taken(registry, 2) == ANSWERED_CALL_101[:2]
    pbx.drop.set()
    # The translator kept the call over the reconnect: the hang-up heard on the new
    # connection ends it with the talk time from the answer heard on the old one.
    assert await taken(registry, 3) == ANSWERED_CALL_101
    assert bridge.connections == 2
    assert len(pbx.requests) == 2


async def test_the_bridge_reads_on_while_registry_is_slow_to_answer(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge) -> None:
    # Asterisk drops a websocket it cannot write to for 100 ms: a slow registry must not
    # stop the bridge from reading.
    registry.answering.clear()
    pbx.scripts.append([*recorded("answered_call_101"), *recorded("unanswered_call_102")])
    await eventually(lambda: registry.attempts == 1, timeout_s=5, interval_s=0.01,
                     what="the first post waiting")
    await eventually(lambda: bridge.translator.channels_held == 2, timeout_s=5,
                     interval_s=0.01, what="both calls read to their end")
    assert (registry.attempts, registry.taken) == (1, [])
    registry.answering.set()
    assert [(s["call_id"], s["event"]) for s in await taken(registry, 5)] == [
        ("1795850102.14", "ringing"), ("1795850102.14", "answered"),
        ("1795850102.14", "ended"), ("1795850507.22", "ringing"), ("1795850507.22", "ended")]


async def test_a_post_registry_refuses_for_a_moment_is_sent_again(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge) -> None:
    registry.refusals = [503, 429]
    pbx.scripts.append([*recorded("answered_call_101")])
    assert await taken(registry, 3) == ANSWERED_CALL_101
    await eventually(lambda: bridge.forwarded == 3, timeout_s=5, interval_s=0.01,
                     what="three posts answered")
    assert (registry.attempts, bridge.failed) == (5, 0)


async def test_a_post_registry_keeps_refusing_is_logged_by_call_id_never_by_number(
        pbx: Pbx, registry: Registry, bridge: AsteriskBridge,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crm.telephony.asterisk")
    registry.refusals = [401] * 3  # a wrong token: not sent again
    pbx.scripts.append([*recorded("answered_call_101")])
    await eventually(lambda: bridge.failed + bridge.forwarded == 3, timeout_s=5,
                     interval_s=0.01, what="three call events handled")
    assert (bridge.forwarded, bridge.failed, registry.attempts) == (0, 3, 3)
    assert "call 1795850102.14 ringing on 101 not forwarded: HTTP 401" in caplog.text
    assert "79161234567" not in caplog.text
