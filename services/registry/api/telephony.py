"""The telephone and the operator's screen: ``POST /api/telephony/events`` from the PBX,
``GET /api/operators/me/stream`` (Server-Sent Events) to the panel, and the outcome key.

A ring is pushed as soon as its call is committed (before the journal's fsync, which only
the answer to the PBX waits for): the card should be on the screen while the phone rings.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from prometheus_client import Histogram

from services.registry.api.schemas import CallerChoice, OutcomeRequest
from services.registry.api.screens import CLOSE, Screens, sse
from services.registry.domain import caller_card
from services.registry.domain.calls import Call, CallEvent
from services.registry.handlers import telephony
from services.registry.handlers.cards import caller_choices
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.auth import Operator, Principal, Role
from shared.auth.access import authenticate, bearer_token
from shared.clock import utc_now
from shared.contracts.types import Language
from shared.service import ServiceRuntime, on_shutdown

TAGS: list[str | Enum] = ["telephony"]
HEARTBEAT_S = 15.0


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            settings: RegistrySettings, screens: Screens) -> None:
    registry = runtime.metrics.registry
    pop_seconds = Histogram(
        "crm_call_push_seconds",
        "From a call event's arrival to its message queued on the operator's screens.",
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1), registry=registry)
    on_shutdown(screens.close_all)
    configured = settings.telephony_token.get_secret_value() if settings.telephony_token else ""
    telephony_token = configured.encode() if configured else None

    async def pbx(request: Request) -> str:
        """The telephony token, or an admin (who may test the wiring by hand)."""
        token = bearer_token(request)
        if telephony_token is not None and hmac.compare_digest(token.encode(),
                                                               telephony_token):
            return "telephony"
        principal = (await authenticate(request, token)).principal
        if principal.role is not Role.ADMIN:
            raise HTTPException(403, "call events come from the PBX (CRM_TELEPHONY_TOKEN) "
                                     "or an admin")
        return principal.actor

    async def message(call: Call) -> Any:
        """The ``call`` message in each language (the card's words depend on it)."""
        document = await repo.card(call.customer_id) if call.customer_id else None
        if document is not None and "full_name" not in document:
            document = None  # a card with events but no registration yet
        category = await repo.category(document["category"]) if document else None
        # `from` read as several customers' numbers: the operator picks (fresh each time,
        # so a customer erased meanwhile is no longer offered).
        choices = (await caller_choices(repo, call.choices)
                   if call.choices and call.customer_id is None else [])
        base = {"call_id": call.call_id, "state": call.state, "phone": call.phone,
                "choices": choices,
                "extension": call.extension, "customer_id": call.customer_id,
                "duration_s": call.duration_s, "outcome": call.outcome,
                "interaction_id": call.interaction_id, "logged": call.logged,
                "wrap_up_until": (call.wrap_up_until.isoformat()
                                  if call.wrap_up_until else None)}
        event_id = f"{call.call_id}:{call.state}{':logged' if call.logged else ''}"

        def render(language: Language) -> str:
            card = (caller_card(document, category, language).model_dump(mode="json")
                    if document is not None else None)
            return sse("call", {**base, "card": card}, event_id)

        return render

    @app.post("/api/telephony/events", tags=TAGS, status_code=202,
              responses={401: {"description": "No or wrong token"},
                         403: {"description": "Neither the PBX's token nor an admin"}},
              summary="A call rings, is answered or ends; pops the card on the operator's "
                      "screen, and logs the call (crm.interaction.logged.v1) when it ends")
    async def call_event(body: CallEvent, by: str = Depends(pbx)) -> dict[str, Any]:
        started = time.perf_counter()
        if body.event == "ringing" and body.extension is None:
            raise HTTPException(422, "extension: a ringing call needs the extension it "
                                     "rings on")
        async with runtime.command():
            update = await telephony.on_call_event(
                repo, body, settings.phone_regions, utc_now(),
                settings.call_wrap_up_s, lambda operator_id: screens.watching(operator_id) > 0)
            if update.events:
                await runtime.publish(update.events)
        call = update.call
        screens_reached = await show(call)
        if call is not None and call.operator_id is not None:
            pop_seconds.observe(time.perf_counter() - started)
        return {"call_id": body.call_id, "state": call.state if call else None,
                "changed": call is not None, "screens": screens_reached,
                "logged": call.logged if call else None,
                "interaction_id": call.interaction_id if call else None}

    async def show(call: Call | None) -> int:
        """Push the call to its operator's screens; how many were reached."""
        if call is None or call.operator_id is None:
            return 0
        return screens.push(call.operator_id, await message(call))

    async def finish_wrap_ups() -> None:
        if not await repo.calls_wrapping_up(utc_now()):
            return  # nearly always: no transaction for nothing, every second
        async with runtime.command():
            updates = await telephony.finish_wrap_ups(repo, utc_now())
            await runtime.publish([event for update in updates for event in update.events])
        for update in updates:
            await show(update.call)

    runtime.every("call-wrap-ups", 1.0, finish_wrap_ups)

    @app.post("/api/telephony/calls/{call_id}/outcome", tags=TAGS,
              responses={404: {"description": "No such call on your extension"},
                         409: {"description": "The call has ended and was logged"}},
              summary="The outcome of the operator's call: kept while it goes on, and the "
                      "call is logged at once during after-call work")
    async def call_outcome(call_id: str, body: OutcomeRequest,
                           principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            update = await telephony.set_outcome(repo, call_id, body.outcome, principal)
            await runtime.publish(update.events)
        call = update.call
        assert call is not None
        await show(call)
        return {"call_id": call.call_id, "state": call.state, "outcome": call.outcome,
                "logged": call.logged, "interaction_id": call.interaction_id}

    @app.post("/api/telephony/calls/{call_id}/caller", tags=TAGS,
              responses={404: {"description": "No such call on your extension"},
                         409: {"description": "The call has ended and was logged"},
                         422: {"description": "Not one of the customers the call may be "
                                              "from"}},
              summary="Who a call is from, when its number reads as several customers' "
                      "(the call event's `choices`): the operator's pick")
    async def call_caller(call_id: str, body: CallerChoice,
                          principal: Operator) -> dict[str, Any]:
        async with runtime.command():
            update = await telephony.choose_caller(repo, call_id, body.customer_id, principal)
        call = update.call
        assert call is not None
        await show(call)
        return {"call_id": call.call_id, "state": call.state,
                "customer_id": call.customer_id, "logged": call.logged}

    @app.get("/api/operators/me/stream", tags=TAGS,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "call, ready and session events"}},
             summary="Server-Sent Events for the signed-in person: calls ringing on their "
                     "extension (token in the header or ?access_token=)")
    async def stream(request: Request,
                     access_token: Annotated[str | None, Query()] = None,
                     lang: Language = "en") -> StreamingResponse:
        verified = await authenticate(request, access_token)
        principal: Principal = verified.principal
        if principal.operator_id is None:
            raise HTTPException(403, "the call stream is for a signed-in person, not a "
                                     "machine client")
        expires = verified.claims.get("exp")
        ends_at = float(expires) if isinstance(expires, int | float) else None
        operator = await repo.operator(principal.operator_id)
        screen = screens.open(principal.operator_id, lang)
        since = utc_now() - timedelta(seconds=settings.ring_timeout_s)
        open_calls = await repo.open_calls_of(principal.operator_id, since)
        greeting = sse("ready", {"operator_id": principal.operator_id,
                                 "extension": (operator or {}).get("extension")})
        replay = [(await message(call))(lang) for call in open_calls]

        async def events() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                yield greeting
                for item in replay:
                    yield item
                while True:
                    wait = HEARTBEAT_S
                    if ends_at is not None:
                        left = ends_at - time.time()
                        if left <= 0:
                            yield sse("session", {"state": "expired"})
                            return
                        wait = min(wait, left)
                    try:
                        item = await asyncio.wait_for(screen.queue.get(), wait)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if item is CLOSE:
                        return
                    yield item
            finally:
                screens.close(screen)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})
