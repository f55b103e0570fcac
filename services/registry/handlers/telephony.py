"""Use cases of the telephone: a call event from the PBX, an operator's outcome for a call.

Each runs inside the caller's transaction. A call event records the call and, when it has
ended after someone talked to a known customer, returns the interaction to publish; who to
show it to is the extension's owner at the moment it rang, looked up in the directory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.calls import Call, CallEvent, advance, was_talked
from services.registry.domain.errors import InvalidPhone
from services.registry.domain.phones import phone_lookup_readings
from services.registry.handlers.errors import Conflict, NotFound
from services.registry.repository import RegistryRepository
from shared.auth import Principal
from shared.contracts import Event, InteractionLogged
from shared.contracts.types import Outcome

DEFAULT_OUTCOME: Outcome = "info"


@dataclass(frozen=True)
class CallUpdate:
    """What a call event did: the call as it is now (None: nothing changed) and the events."""

    call: Call | None
    events: list[Event]


async def caller(repo: RegistryRepository, raw: str, default_region: str
                 ) -> tuple[str | None, str | None]:
    """The caller's number as E.164 (None when it is no phone number: withheld, a SIP
    name) and the customer registered with it, if any. The first registered reading wins,
    as in a look-up; an unknown number keeps its most likely reading."""
    first: str | None = None
    try:
        for e164 in phone_lookup_readings(raw, default_region):
            first = first or e164
            customer_id = await repo.customer_by_phone(e164)
            if customer_id is not None:
                return e164, customer_id
    except InvalidPhone:
        return None, None
    return first, None


def interaction_id_of(call_id: str) -> str:
    """The call's interaction id: the same for every attempt to log one call."""
    return "i-call-" + hashlib.sha256(call_id.encode()).hexdigest()[:32]


async def on_call_event(repo: RegistryRepository, event: CallEvent, default_region: str,
                        now: datetime) -> CallUpdate:
    before = await repo.call(event.call_id)
    phone, customer_id = (before.phone, before.customer_id) if before else (None, None)
    if before is None:
        phone, customer_id = await caller(repo, event.from_, default_region)
    call = advance(before, event, phone, now)
    if call is None:
        return CallUpdate(None, [])
    changes: dict[str, object] = {}
    if call.operator_id is None and call.extension is not None:
        changes["operator_id"] = await repo.extension_owner(call.extension)
    if customer_id is None and call.phone is not None and call.state == "ended":
        customer_id = await repo.customer_by_phone(call.phone)  # registered during the call
    if customer_id != call.customer_id:
        changes["customer_id"] = customer_id
    call = call.model_copy(update=changes)
    events: list[Event] = []
    if call.state == "ended" and was_talked(call) and call.customer_id is not None:
        logged = _interaction(call)
        events.append(logged)
        call = call.model_copy(update={"interaction_id": logged.interaction_id,
                                       "outcome": logged.outcome})
    await repo.save_call(call)
    return CallUpdate(call, events)


def _interaction(call: Call) -> InteractionLogged:
    assert call.customer_id is not None and call.ended_at is not None
    return InteractionLogged(
        event_id=Event.derived_id(call.call_id, "call-interaction"),
        occurred_at=call.ended_at,
        interaction_id=interaction_id_of(call.call_id),
        customer_id=call.customer_id,
        channel="call",
        duration_s=call.duration_s,
        outcome=call.outcome or DEFAULT_OUTCOME,
        operator_id=call.operator_id,
    )


async def set_outcome(repo: RegistryRepository, call_id: str, outcome: Outcome,
                      by: Principal) -> Call:
    """The operator's outcome for a call still going on (one keystroke on the panel); it is
    logged with the call when it ends."""
    call = await repo.call(call_id)
    if call is None or call.operator_id is None or call.operator_id != by.operator_id:
        # Someone else's call is as unknown as a call that never rang.
        raise NotFound("no call with this id on your extension")
    if call.state == "ended":
        raise Conflict("the call has ended and was logged; log another interaction to add "
                       "to it", interaction_id=call.interaction_id)
    call = call.model_copy(update={"outcome": outcome})
    await repo.save_call(call)
    return call
