"""Use cases of the telephone: a call event from the PBX, the operator's outcome for a call,
and the end of after-call work.

Each runs inside the caller's transaction and returns the events to publish. A call is
logged once, as one ``crm.interaction.logged.v1`` with its outcome:

- at hang-up, when the outcome is already known (chosen during the call) or nobody is
  watching the extension's screen to give one;
- otherwise after-call work begins: the operator's screen asks for the outcome, and the
  call is logged when it is given (one keystroke) or when ``wrap_up_s`` have passed (as
  ``info``). A caller registered during the call or the wrap-up is logged as that customer.

Unanswered calls, and callers who are still unknown when the call is logged, log nothing.
A ``from`` that reads as several customers' numbers (``CRM_PHONE_REGIONS``) is nobody's
until the operator picks one (``choose_caller``): a guess would log the call, and show the
card, of another person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.registry.domain.calls import AfterCall, Call, CallEvent, advance, after_the_call
from services.registry.domain.card_updates import apply_interaction
from services.registry.domain.errors import Conflict, InvalidPhone, NotFound, Unprocessable
from services.registry.handlers.cards import registered_readings
from services.registry.handlers.search import remember_activity
from services.registry.repository import RegistryRepository
from shared.auth import Principal
from shared.contracts import Event, InteractionLogged
from shared.contracts.types import Outcome
from shared.phones import phone_lookup_readings

DEFAULT_OUTCOME: Outcome = "info"


@dataclass(frozen=True)
class CallUpdate:
    """What a call event did: the call as it is now (None: nothing changed) and the events."""

    call: Call | None
    events: list[Event]


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as ``from`` tells.

    ``phone``: E.164; the most likely reading for an unknown number; None when ``from`` is
    no phone number (withheld, a SIP name) or reads as several customers' numbers, whose
    ids are then the ``choices`` (the operator picks; the call is never logged against a
    guess).
    """

    phone: str | None
    customer_id: str | None = None
    choices: tuple[str, ...] = ()


async def caller(repo: RegistryRepository, raw: str, regions: Sequence[str] | str) -> Caller:
    """Read ``from`` in the call center's ``regions``, as a look-up does."""
    try:
        readings = list(phone_lookup_readings(raw, regions))
    except InvalidPhone:
        return Caller(None)
    owners = await registered_readings(repo, readings)
    if len(owners) > 1:
        return Caller(None, choices=tuple(owners))
    for customer_id, e164 in owners.items():
        return Caller(e164, customer_id)
    return Caller(readings[0] if readings else None)


def interaction_id_of(call_id: str) -> str:
    """The call's interaction id: the same for every attempt to log one call."""
    return "i-call-" + hashlib.sha256(call_id.encode()).hexdigest()[:32]


async def on_call_event(repo: RegistryRepository, event: CallEvent,
                        regions: Sequence[str] | str, now: datetime, wrap_up_s: float,
                        watched: Callable[[str], bool]) -> CallUpdate:
    """Record one step of a call. ``regions``: where a national ``from`` is read;
    ``watched(operator_id)``: whether someone can give the outcome after the hang-up (a
    screen is open); ``wrap_up_s`` how long they have."""
    before = await repo.call(event.call_id)
    if before is None:
        who = await caller(repo, event.from_, regions)
    else:
        who = Caller(before.phone, before.customer_id, before.choices)
    call = advance(before, event, who.phone, now)
    if call is None:
        return CallUpdate(None, [])
    moved = before is not None and call.extension != before.extension
    if call.extension is not None and (call.operator_id is None or moved):
        call = call.model_copy(update={"operator_id": await repo.extension_owner(call.extension)})
    if (who.customer_id, who.choices) != (call.customer_id, call.choices):
        call = call.model_copy(update={"customer_id": who.customer_id, "choices": who.choices})
    events: list[Event] = []
    if call.state == "ended":
        after = after_the_call(call, call.operator_id is not None and watched(call.operator_id))
        if after is AfterCall.NOT_TALKED:
            call = call.model_copy(update={"logged": True})
        elif after is AfterCall.WRAP_UP:
            call = call.model_copy(update={"wrap_up_until": now + timedelta(seconds=wrap_up_s)})
        else:
            call, events = await _log(repo, call)
    await repo.save_call(call)
    return CallUpdate(call, events)


async def _log(repo: RegistryRepository, call: Call) -> tuple[Call, list[Event]]:
    """The call's interaction (for a customer registered meanwhile too), once: on the card
    and in the history at once, and published."""
    customer_id = call.customer_id
    if customer_id is None and call.phone is not None:
        customer_id = await repo.customer_by_phone(call.phone)
    done = call.model_copy(update={"customer_id": customer_id, "logged": True,
                                   "wrap_up_until": None})
    if customer_id is None:
        return done, []
    assert call.ended_at is not None
    logged = InteractionLogged(
        event_id=Event.derived_id(call.call_id, "call-interaction"),
        occurred_at=call.ended_at,
        interaction_id=interaction_id_of(call.call_id),
        customer_id=customer_id,
        channel="call",
        duration_s=call.duration_s,
        outcome=call.outcome or DEFAULT_OUTCOME,
        operator_id=call.operator_id,
    )
    # On the card and in the history at once, as an interaction logged by hand is; the
    # event coming back is then a no-op.
    await repo.save_card(apply_interaction(await repo.card(customer_id), logged))
    await remember_activity(repo, logged)
    return done.model_copy(update={"interaction_id": logged.interaction_id,
                                   "outcome": logged.outcome}), [logged]


async def set_outcome(repo: RegistryRepository, call_id: str, outcome: Outcome,
                      by: Principal) -> CallUpdate:
    """The operator's outcome for their call: kept while it goes on, logged with it at
    once during after-call work."""
    call = await repo.call(call_id)
    if call is None or call.operator_id is None or call.operator_id != by.operator_id:
        # Someone else's call is as unknown as a call that never rang.
        raise NotFound("no call with this id on your extension")
    if call.logged:
        raise Conflict("the call has been logged already; log another interaction to add "
                       "to it", interaction_id=call.interaction_id)
    call = call.model_copy(update={"outcome": outcome})
    events: list[Event] = []
    if call.state == "ended":
        call, events = await _log(repo, call)
    await repo.save_call(call)
    return CallUpdate(call, events)


async def choose_caller(repo: RegistryRepository, call_id: str, customer_id: str,
                        by: Principal) -> CallUpdate:
    """The operator's pick among the customers a call's number may be: the call is then
    theirs (its card, and its interaction when it is logged). Only one of the call's
    ``choices``; a wrong pick may be corrected until the call is logged."""
    call = await repo.call(call_id)
    if call is None or call.operator_id is None or call.operator_id != by.operator_id:
        raise NotFound("no call with this id on your extension")
    if customer_id not in call.choices:
        raise Unprocessable("customer_id: not one of the customers this call may be from",
                            field="customer_id")
    if call.logged:
        raise Conflict("the call has been logged already; log another interaction to add "
                       "to it", interaction_id=call.interaction_id)
    chosen = await repo.customer(customer_id)
    if chosen is None:
        raise Unprocessable("customer_id: no customer with this id", field="customer_id")
    call = call.model_copy(update={"customer_id": customer_id, "phone": chosen.get("phone")})
    await repo.save_call(call)
    return CallUpdate(call, [])


async def finish_wrap_ups(repo: RegistryRepository, now: datetime) -> list[CallUpdate]:
    """Log the calls whose after-call work has run out (as ``info``)."""
    updates = []
    for call in await repo.calls_wrapping_up(now):
        done, events = await _log(repo, call)
        await repo.save_call(done)
        updates.append(CallUpdate(done, events))
    return updates
