"""How a call moves on, whatever order and however often the PBX reports it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.registry.domain.calls import (
    AfterCall,
    Call,
    CallEvent,
    advance,
    after_the_call,
    was_talked,
)

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def event(kind: str, **fields: object) -> CallEvent:
    return CallEvent.model_validate({"call_id": "1732790000.42", "event": kind,
                                     "from": "+79161234567", **fields})


def test_a_call_rings_is_answered_and_ends_with_the_talk_time_measured_here() -> None:
    ringing = advance(None, event("ringing", extension="101"), "+79161234567", T0)
    assert ringing is not None and ringing.state == "ringing" and ringing.extension == "101"
    answered = advance(ringing, event("answered"), None, T0 + timedelta(seconds=8))
    assert answered is not None and answered.answered_at == T0 + timedelta(seconds=8)
    ended = advance(answered, event("ended"), None, T0 + timedelta(seconds=100))
    assert ended is not None and ended.duration_s == 92 and was_talked(ended)
    assert ended.phone == "+79161234567" and ended.opened_at == T0


def test_the_pbx_duration_wins_and_its_clock_is_used_when_given() -> None:
    at = T0 + timedelta(minutes=3)
    ended = advance(None, event("ended", duration_s=61, at=at.isoformat()), None, T0)
    assert ended is not None and ended.ended_at == at and ended.duration_s == 61
    assert was_talked(ended)


def test_a_pbx_clock_far_off_is_not_believed_and_a_talk_time_stays_in_the_contract() -> None:
    for wrong in (T0 + timedelta(minutes=10), T0 - timedelta(hours=25)):
        ended = advance(None, event("ended", at=wrong.isoformat()), None, T0)
        assert ended is not None and ended.ended_at == T0  # registry's clock instead
    naive = event("answered", at=T0.replace(tzinfo=None).isoformat())
    assert naive.at == T0  # read as UTC
    answered = advance(None, event("answered", extension="101"), None, T0)
    assert answered is not None
    ended = advance(answered, event("ended"), None, T0 + timedelta(days=3))
    assert ended is not None and ended.duration_s == 86_400


def test_repeats_and_steps_back_change_nothing() -> None:
    ringing = advance(None, event("ringing", extension="101"), None, T0)
    assert ringing is not None
    assert advance(ringing, event("ringing", extension="101"), None, T0) is None
    ended = advance(ringing, event("ended"), None, T0 + timedelta(seconds=20))
    assert ended is not None and ended.duration_s == 0 and not was_talked(ended)
    assert advance(ended, event("answered"), None, T0) is None
    assert advance(ended, event("ringing", extension="102"), None, T0) is None


@pytest.mark.parametrize("fields", [
    {"call_id": "$where"}, {"call_id": ""}, {"call_id": "x" * 129}, {"event": "hold"},
    {"from": ""}, {"from": "1" * 65}, {"extension": "10 1"}, {"duration_s": -1},
    {"duration_s": 86_401},
])
def test_a_malformed_call_event_is_refused(fields: dict[str, object]) -> None:
    body = {"call_id": "c1", "event": "ringing", "from": "+79161234567", "extension": "101"}
    with pytest.raises(ValidationError):
        CallEvent.model_validate({**body, **fields})


def test_a_call_that_rang_several_phones_belongs_to_the_extension_that_answered() -> None:
    ringing = advance(None, event("ringing", extension="101"), None, T0)
    assert ringing is not None
    answered = advance(ringing, event("answered", extension="102"), None, T0)
    assert answered is not None and answered.extension == "102"
    ended = advance(answered, event("ended", extension="101"), None, T0)
    assert ended is not None and ended.extension == "102"


def test_an_ended_call_waits_for_its_outcome_only_when_talked_and_watched() -> None:
    ended = Call(call_id="c-1", state="ended", opened_at=T0, phone=None, operator_id="op-1",
                 answered_at=T0, ended_at=T0 + timedelta(minutes=2))
    unanswered = ended.model_copy(update={"answered_at": None})
    assert after_the_call(unanswered, screen_open=True) is AfterCall.NOT_TALKED
    assert after_the_call(ended, screen_open=True) is AfterCall.WRAP_UP
    assert after_the_call(ended, screen_open=False) is AfterCall.LOG
    assert after_the_call(ended.model_copy(update={"outcome": "purchase"}),
                          screen_open=True) is AfterCall.LOG
