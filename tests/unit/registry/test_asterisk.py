"""Asterisk's ARI events, as recorded in tests/fixtures/asterisk, into the webhook's call
events: exactly the steps of each call, once, with the talk time by Asterisk's clock."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.registry.domain.calls import CallEvent
from services.registry.gateways.asterisk import AriTranslator, dialled, endpoint_of

FIXTURES = Path(__file__).parents[2] / "fixtures" / "asterisk"
CALL_TYPES = {"Dial", "ChannelStateChange", "ChannelHangupRequest", "ChannelDestroyed"}


def recorded(name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((FIXTURES / f"{name}.json").read_text())
    return events


def told(events: list[dict[str, Any]], translator: AriTranslator | None = None
         ) -> list[dict[str, Any]]:
    """What the webhook is told, as the bridge posts it."""
    translator = translator or AriTranslator()
    return [said.model_dump(mode="json", by_alias=True, exclude_none=True)
            for event in events for said in translator.feed(event)]


def step(event: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"call_id": "1795850102.14", "event": event, "from": "+79161234567",
            "extension": "101", "at": at, **fields}


ANSWERED_CALL_101 = [
    step("ringing", "2026-11-28T10:15:02.124000+03:00"),
    step("answered", "2026-11-28T10:15:08.520000+03:00"),
    step("ended", "2026-11-28T10:16:43.897000+03:00", duration_s=95),
]


def test_an_answered_call_rings_on_101_is_answered_and_ends_with_its_talk_time() -> None:
    assert told(recorded("answered_call_101")) == ANSWERED_CALL_101


def test_what_it_tells_is_a_valid_webhook_body() -> None:
    for body in told(recorded("answered_call_101")):
        assert CallEvent.model_validate(body).from_ == "+79161234567"


def test_a_caller_who_hangs_up_while_102_rings_is_ended_with_no_talk_time() -> None:
    call = {"call_id": "1795850507.22", "from": "+79035550142", "extension": "102"}
    assert told(recorded("unanswered_call_102")) == [
        {**call, "event": "ringing", "at": "2026-11-28T10:21:47.909000+03:00"},
        {**call, "event": "ended", "at": "2026-11-28T10:21:59.720000+03:00", "duration_s": 0},
    ]


def test_a_withheld_number_passes_through_and_the_operator_hanging_up_ends_the_call() -> None:
    # Queue(support) rings the member PJSIP/103 (its dial string); the operator hangs up
    # first, and the caller's channel lives on in the dial plan for a moment.
    call = {"call_id": "1795851611.31", "from": "anonymous", "extension": "103"}
    assert told(recorded("withheld_number_queue_103")) == [
        {**call, "event": "ringing", "at": "2026-11-28T10:40:11.305000+03:00"},
        {**call, "event": "answered", "at": "2026-11-28T10:40:16.146000+03:00"},
        {**call, "event": "ended", "at": "2026-11-28T10:41:17.658000+03:00", "duration_s": 62},
    ]


def test_a_caller_with_no_number_at_all_is_told_as_anonymous() -> None:
    events = recorded("withheld_number_queue_103")
    for event in events:
        for channel in (event.get("channel"), event.get("caller")):
            if channel and channel["caller"]["number"] == "anonymous":
                channel["caller"] = {"name": "", "number": ""}
    assert {said["from"] for said in told(events)} == {"anonymous"}


def test_repeated_events_tell_each_step_of_the_call_once() -> None:
    said = told(recorded("repeated_events_101"))
    assert [(s["event"], s.get("duration_s")) for s in said] == [
        ("ringing", None), ("answered", None), ("ended", 43)]
    assert {s["from"] for s in said} == {"8 (916) 765-43-21"}  # as the trunk gave it


def test_a_call_replayed_after_it_ended_tells_nothing_more() -> None:
    translator = AriTranslator()
    events = recorded("answered_call_101")
    assert len(told(events, translator)) == 3
    assert told(events, translator) == []


def test_events_about_no_call_tell_nothing() -> None:
    unrelated = [e for e in recorded("answered_call_101") if e["type"] not in CALL_TYPES]
    assert {e["type"] for e in unrelated} >= {"ChannelCreated", "ChannelDialplan",
                                               "ChannelVarset", "BridgeCreated"}
    assert told(unrelated) == []


def test_a_dial_to_a_trunk_is_no_operator_call() -> None:
    events = recorded("answered_call_101")
    for event in events:
        if "peer" in event:
            event["peer"]["name"] = "PJSIP/sipnet-trunk-0000000f"
            event["dialstring"] = event["dialstring"] and "89161234567@sipnet-trunk"
    assert told(events) == []


def test_dial_answer_alone_answers_when_the_state_change_is_missed() -> None:
    events = [e for e in recorded("answered_call_101")
              if not (e["type"] == "ChannelStateChange" and e["channel"]["state"] == "Up")]
    said = told(events)
    assert said[1] == step("answered", "2026-11-28T10:15:08.523000+03:00")
    assert said[2]["duration_s"] == 95


def test_a_local_channel_is_dialled_once_and_its_optimising_away_does_not_end_the_call(
) -> None:
    # Dial(Local/101@from-internal): the outer dial rings the Local channel's first half,
    # whose second half dials PJSIP/101 itself; once answered, the Local pair may be
    # optimised out of the call, and its channels destroyed while the caller talks on.
    events = recorded("answered_call_101")
    local = "Local/101@from-internal-00000003;1"
    peer_id = next(e["peer"]["id"] for e in events if e["type"] == "Dial")
    inner = copy.deepcopy(next(e for e in events if e["type"] == "Dial"))
    inner["caller"].update(id="1795850102.16", name="Local/101@from-internal-00000003;2")
    inner["peer"].update(id="1795850102.17", name="PJSIP/101-00000010")
    for event in events:
        for channel in (event.get("peer"), event.get("channel")):
            if channel and channel["id"] == peer_id:
                channel["name"] = local
        if event["type"] == "Dial":
            event["dialstring"] = event["dialstring"] and "101@from-internal"
    answered_at = next(i for i, e in enumerate(events)
                       if e["type"] == "Dial" and e["dialstatus"] == "ANSWER")
    optimised = {"type": "ChannelDestroyed", "timestamp": "2026-11-28T10:15:09.001+0300",
                 "cause": 16, "cause_txt": "Normal Clearing",
                 "channel": next(e["peer"] for e in events if e["type"] == "Dial")}
    events[answered_at + 1:answered_at + 1] = [optimised]
    events.insert(4, inner)
    assert told(events) == ANSWERED_CALL_101


def test_when_several_phones_ring_the_one_that_answers_is_named() -> None:
    events = recorded("answered_call_101")
    begin = next(e for e in events if e["type"] == "Dial")
    second = copy.deepcopy(begin)
    second["peer"].update(id="1795850102.99", name="PJSIP/105-00000020", state="Up")
    second.update(dialstring="105", timestamp="2026-11-28T10:15:02.130+0300")
    answer = {**copy.deepcopy(second), "dialstatus": "ANSWER", "dialstring": "",
              "timestamp": "2026-11-28T10:15:05.000+0300"}
    hangup = {"type": "ChannelHangupRequest", "timestamp": "2026-11-28T10:15:35.000+0300",
              "cause": 16, "channel": second["peer"]}
    first_gives_up = {"type": "ChannelDestroyed", "timestamp": "2026-11-28T10:15:05.010+0300",
                      "cause": 26, "cause_txt": "Answered elsewhere", "channel": begin["peer"]}
    said = told([begin, second, answer, first_gives_up, hangup])
    assert [(s["event"], s["extension"], s.get("duration_s")) for s in said] == [
        ("ringing", "101", None), ("answered", "105", None), ("ended", "101", 30)]


@pytest.mark.parametrize(("name", "endpoint"), [
    ("PJSIP/101-00000002", "101"),
    ("SIP/101-0000000a", "101"),
    ("IAX2/101-3277", "101"),
    ("Local/101@from-internal-00000003;1", "101"),
    ("PJSIP/sipnet-trunk-0000000e", "sipnet-trunk"),
    ("Surrogate/PJSIP/101", None),
])
def test_the_endpoint_of_a_channel_is_read_from_its_name(name: str,
                                                        endpoint: str | None) -> None:
    assert endpoint_of(name) == endpoint


@pytest.mark.parametrize(("dialstring", "target"), [
    ("101", "101"),
    ("PJSIP/101", "101"),
    ("101/sip:101@10.0.0.5:5060", "101"),
    ("Local/101@from-queue/n", "101"),
    ("89161234567@sipnet-trunk", "89161234567"),
    ("", None),
])
def test_what_a_dial_string_dials(dialstring: str, target: str | None) -> None:
    assert dialled(dialstring) == target


def ringing_only(count: int, start: datetime, every: timedelta) -> list[dict[str, Any]]:
    """``count`` calls that ring and are never heard of again (a missed hang-up)."""
    template = next(e for e in recorded("answered_call_101") if e["type"] == "Dial")
    calls = []
    for n in range(count):
        event = copy.deepcopy(template)
        event["caller"]["id"], event["peer"]["id"] = f"1795850000.{2 * n}", f"x.{2 * n + 1}"
        event["timestamp"] = (start + n * every).isoformat()
        calls.append(event)
    return calls


def test_calls_never_heard_ending_are_capped() -> None:
    translator = AriTranslator(max_calls=100)
    start = datetime.fromisoformat("2026-11-28T10:00:00+03:00")
    assert len(told(ringing_only(5_000, start, timedelta(0)), translator)) == 5_000
    assert translator.open_calls == 100


def test_calls_never_heard_ending_are_forgotten_after_max_age() -> None:
    translator = AriTranslator(max_age=timedelta(hours=1))
    start = datetime.fromisoformat("2026-11-28T10:00:00+03:00")
    told(ringing_only(600, start, timedelta(seconds=30)), translator)  # five hours of rings
    assert translator.open_calls == 121  # the last hour's, at one every 30 s


def test_ended_calls_leave_only_a_bounded_list_of_ids() -> None:
    translator = AriTranslator(remember_ended=50)
    events = recorded("answered_call_101")
    ids = {e[k]["id"] for e in events for k in ("channel", "caller", "peer") if k in e}
    for n in range(300):
        copied = json.dumps(events)
        for old in ids:
            copied = copied.replace(old, f"{old}{n:03d}")
        assert len(told(json.loads(copied), translator)) == 3
    assert translator.open_calls == 0
    assert translator.channels_held == 50
