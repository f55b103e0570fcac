"""Telephone calls as the PBX reports them: ringing on an extension, answered, ended.

``CallEvent`` is the one shape every telephony source is turned into (the generic JSON
webhook takes it as is; the Asterisk adapter builds it from ARI events). ``Call`` is what
registry keeps about a call while it lasts, and ``advance`` is the one rule for how a call
moves on: events may come twice, out of order (``ended`` before ``ringing``) or late, and
none of that may show a card on the wrong screen or log a call twice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from services.registry.domain.operators import Extension
from shared.contracts.types import Outcome

CallState = Literal["ringing", "answered", "ended"]
STATES: tuple[CallState, ...] = ("ringing", "answered", "ended")
_CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$")


def _call_id(value: str) -> str:
    if not _CALL_ID.match(value):
        raise ValueError("call_id: 1-128 letters, digits and . _ : @ / -, starting with a "
                         "letter or digit")
    return value


CallId = Annotated[str, AfterValidator(_call_id)]


MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_EVENT_AGE = timedelta(hours=24)
MAX_TALK_S = 86_400  # the contract's bound on an interaction's duration_s

class CallEvent(BaseModel):
    """``POST /api/telephony/events``: one step of a call, as any PBX can send it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True,
                              str_strip_whitespace=True)

    call_id: CallId = Field(description="The PBX's id of the call; the same on every event "
                                        "of one call.", examples=["1732790000.42"])
    event: CallState
    from_: str = Field(alias="from", min_length=1, max_length=64,
                       description="The caller's number in any notation (or what the PBX "
                                   "shows for a withheld one).", examples=["+7 900 123-45-67"])
    extension: Extension | None = Field(
        default=None, description="The operator's extension the call rings on; required for "
                                  "ringing.", examples=["101"])
    duration_s: int | None = Field(default=None, ge=0, le=86_400,
                                   description="Talk time, on ended (else measured here).")
    at: datetime | None = Field(default=None,
                                description="When it happened by the PBX's clock "
                                            "(default: when it arrives; also when it is "
                                            "more than 5 minutes ahead of registry's clock "
                                            "or 24 hours behind it). Without an offset: UTC.")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def believed(at: datetime | None, now: datetime) -> datetime:
    """The PBX's moment when its clock is plausibly right, else registry's own: a clock far
    off must not make a talk time of days or a call that ends before it rang."""
    if at is None or at > now + MAX_CLOCK_SKEW or at < now - MAX_EVENT_AGE:
        return now
    return at


class Call(BaseModel):
    """What registry keeps about one call."""

    model_config = ConfigDict(frozen=True)

    call_id: str
    state: CallState
    opened_at: datetime = Field(description="When registry first heard of it (its own clock)")
    phone: str | None = Field(description="E.164, or None when `from` is no phone number")
    extension: str | None = None
    operator_id: str | None = Field(default=None, description="Who the extension belonged to")
    customer_id: str | None = None
    choices: tuple[str, ...] = Field(
        default=(), description="The customers `from` may be (customer ids, two or more) "
                                "when it reads as several customers' numbers: the operator "
                                "chooses; then `phone` is None")
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: int | None = None
    outcome: Outcome | None = None
    interaction_id: str | None = None
    wrap_up_until: datetime | None = Field(
        default=None, description="Ended, waiting for the operator's outcome until then")
    logged: bool = Field(default=False, description="Its interaction has been published, "
                                                    "or there was none to log")

    def document(self) -> dict[str, Any]:
        return {**self.model_dump(exclude={"call_id"}), "_id": self.call_id}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Call:
        return cls.model_validate({**document, "call_id": document["_id"]})


def _rank(state: CallState) -> int:
    return STATES.index(state)


def advance(call: Call | None, event: CallEvent, phone: str | None, now: datetime) -> Call | None:
    """The call after ``event``, or None when the event changes nothing (a repeat, or a step
    back such as ``ringing`` after ``answered``).

    A first event of any kind opens the call (a PBX that reports only ``ended`` still gets
    the call logged); a later event moves it forward and never back.
    """
    at = believed(event.at, now)
    if call is None:
        call = Call(call_id=event.call_id, state=event.event, opened_at=now, phone=phone,
                    extension=event.extension)
    elif _rank(event.event) <= _rank(call.state):
        return None
    changes: dict[str, Any] = {"state": event.event}
    if event.extension and (call.extension is None or event.event == "answered"):
        # A call that rang several phones belongs to the one that answered it.
        changes["extension"] = event.extension
    if event.event == "ringing":
        changes["ringing_at"] = at
    elif event.event == "answered":
        changes["answered_at"] = at
    else:
        changes["ended_at"] = at
        changes["duration_s"] = talk_time(call, event, at)
    return call.model_copy(update=changes)


def talk_time(call: Call, event: CallEvent, ended_at: datetime) -> int:
    """The PBX's duration when it sends one; else from answer to hang-up; 0 if unanswered."""
    if event.duration_s is not None:
        return event.duration_s
    if call.answered_at is None:
        return 0
    return min(MAX_TALK_S, max(0, round((ended_at - call.answered_at).total_seconds())))


def was_talked(call: Call) -> bool:
    """An ended call someone spoke on: answered, or with talk time reported by the PBX."""
    return call.answered_at is not None or bool(call.duration_s)


class AfterCall(Enum):
    """What becomes of a call that has ended."""

    NOT_TALKED = "not talked"  # nobody spoke: there is no interaction to log
    WRAP_UP = "wrap up"  # its operator's screen is open: they give the outcome first
    LOG = "log"  # log its interaction now


def after_the_call(call: Call, screen_open: bool) -> AfterCall:
    """What to do with an ended call; ``screen_open``: its operator watches a screen."""
    if not was_talked(call):
        return AfterCall.NOT_TALKED
    if call.outcome is None and call.operator_id and screen_open:
        return AfterCall.WRAP_UP
    return AfterCall.LOG
