"""Asterisk's ARI events turned into the webhook's ``CallEvent``s.

Asterisk reports a call as channels: the caller's (inbound) channel and one peer channel
per phone the dial plan rings (``Dial(PJSIP/101)``, a queue member). On the ARI events
websocket (``/ari/events?app=<app>&subscribeAll=true``) that reads as ``Dial`` events
(``dialstatus`` "" when a dial begins, then RINGING, ANSWER, or why it stopped),
``ChannelStateChange``, ``ChannelHangupRequest`` and ``ChannelDestroyed``. ``AriTranslator``
follows them and tells each step of a call once:

- ``ringing``: the first dial of the call to an operator's extension;
- ``answered``: a peer that rang answers (``Dial`` ANSWER, or its state turns Up);
- ``ended``: the caller hangs up or goes away, or the operator who answered hangs up; with
  the talk time from the answer by Asterisk's own clock (0 when nobody answered).

The call id is the caller channel's id (Asterisk's ``UNIQUEID``): stable over the call, and
the same value the dial plan's ``${UNIQUEID}`` gives the generic webhook. No I/O here, so
recorded event sequences test it exactly; ``bridge`` does the I/O.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from services.registry.domain.calls import CallEvent, CallState

#: Operators' extensions: short numbers, as most dial plans number desks. A peer on any
#: other endpoint (a trunk, a fax) is someone else's call, not a screen to pop.
OPERATOR_EXTENSIONS = re.compile(r"[0-9]{2,6}")
#: ``PJSIP/101-00000002``, ``SIP/101-0000000a``, ``IAX2/101-3277``, ``Local/101@ctx-0003;1``
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_]+/(?P<resource>.+)-[0-9a-fA-F]+(?:;[12])?$")
_TECHNOLOGIES = frozenset({"pjsip", "sip", "iax2", "local", "dahdi", "skinny", "unistim"})
_STILL_DIALLING = frozenset({"", "RINGING", "PROGRESS", "PROCEEDING"})
_WITHHELD = "anonymous"  # what the webhook gets for an empty number (``from`` is required)


def endpoint_of(channel_name: str) -> str | None:
    """The endpoint a channel belongs to: ``PJSIP/101-00000002`` → ``101``,
    ``Local/101@from-internal-00000003;1`` → ``101``."""
    match = _CHANNEL_NAME.match(channel_name)
    return match["resource"].split("@")[0] if match else None


def dialled(dialstring: str) -> str | None:
    """What a dial string dials: ``101``, ``PJSIP/101`` (a queue's member interface),
    ``101/sip:101@10.0.0.5``, ``Local/101@from-queue/n`` → ``101``."""
    technology, slash, rest = dialstring.partition("/")
    if slash and technology.lower() in _TECHNOLOGIES:
        dialstring = rest
    return dialstring.split("/")[0].split("@")[0] or None


def timestamp(value: Any) -> datetime | None:
    """ARI's ``2026-11-28T10:15:02.118+0300``; None when absent or without an offset."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


@dataclass
class _Call:
    """One call, followed from its caller's channel."""

    call_id: str
    caller_number: str
    seen_at: datetime | None
    peers: dict[str, str] = field(default_factory=dict)  # ringing peer channel → extension
    extension: str | None = None  # the first it rang on
    told: set[CallState] = field(default_factory=set)
    answered_at: datetime | None = None
    answered: bool = False
    ends_with: str | None = None  # the answering peer, whose hang-up also ends the call


class AriTranslator:
    """ARI events in, ``CallEvent``s out, each step of a call at most once.

    Memory stays bounded: a call is forgotten when it ends (only its id is kept, among the
    last ``remember_ended``, so late events of it say nothing), and a call not heard of for
    ``max_age`` of Asterisk's time, or beyond ``max_calls`` open ones, is dropped oldest
    first (a missed hang-up must not keep it forever).
    """

    def __init__(self, operator_extensions: re.Pattern[str] = OPERATOR_EXTENSIONS, *,
                 max_calls: int = 10_000, max_age: timedelta = timedelta(hours=12),
                 remember_ended: int = 10_000) -> None:
        self._operator_extensions = operator_extensions
        self._max_calls = max_calls
        self._max_age = max_age
        self._remember_ended = remember_ended
        self._calls: OrderedDict[str, _Call] = OrderedDict()  # least recently heard first
        self._call_of_peer: dict[str, str] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()

    @property
    def open_calls(self) -> int:
        return len(self._calls)

    @property
    def channels_held(self) -> int:
        """Channel ids held in memory: open calls, their ringing peers, ended calls' ids."""
        return len(self._calls) + len(self._call_of_peer) + len(self._ended)

    def feed(self, message: Mapping[str, Any]) -> list[CallEvent]:
        """The webhook events one ARI event makes (mostly none)."""
        at = timestamp(message.get("timestamp"))
        kind = message.get("type")
        channel = message.get("channel")
        if kind == "Dial":
            said = self._dial(message, at)
        elif kind == "ChannelStateChange" and isinstance(channel, Mapping):
            said = self._state_change(channel, at)
        elif kind in ("ChannelHangupRequest", "ChannelDestroyed") and isinstance(channel,
                                                                                  Mapping):
            said = self._hang_up(str(channel.get("id", "")), at)
        else:
            said = []
        self._expire(at)
        return said

    def _dial(self, message: Mapping[str, Any], at: datetime | None) -> list[CallEvent]:
        caller, peer = message.get("caller"), message.get("peer")
        if not isinstance(caller, Mapping) or not isinstance(peer, Mapping):
            return []  # an originated call: nobody is calling in
        if str(caller.get("name", "")).startswith("Local/"):
            return []  # the inner leg of a Local channel; its outer dial told the call
        call_id, peer_id = str(caller.get("id", "")), str(peer.get("id", ""))
        status = message.get("dialstatus", "")
        if status in _STILL_DIALLING:
            extension = self._extension(str(peer.get("name", "")),
                                        str(message.get("dialstring", "")))
            call = self._open(call_id, caller, at) if extension else None
            if call is None or extension is None:
                return []
            call.peers[peer_id] = extension
            self._call_of_peer[peer_id] = call_id
            call.extension = call.extension or extension
            return self._say(call, "ringing", at, extension=extension)
        call = self._heard(call_id, at)
        if call is None or peer_id not in call.peers:
            return []
        if status == "ANSWER":
            return self._answer(call, peer_id, str(peer.get("name", "")), at)
        if peer_id != call.ends_with:
            self._drop_peer(call, peer_id)  # busy, no answer, cancelled: the call goes on
        return []

    def _state_change(self, channel: Mapping[str, Any], at: datetime | None) -> list[CallEvent]:
        peer_id = str(channel.get("id", ""))
        call = self._heard(self._call_of_peer.get(peer_id, ""), at)
        if call is None or channel.get("state") != "Up":
            return []
        return self._answer(call, peer_id, str(channel.get("name", "")), at)

    def _answer(self, call: _Call, peer_id: str, peer_name: str,
                at: datetime | None) -> list[CallEvent]:
        if call.answered:
            return []
        call.answered, call.answered_at = True, at
        # A Local channel may optimise itself away mid-call: only the caller ends such a call.
        call.ends_with = None if peer_name.startswith("Local/") else peer_id
        extension = call.peers[peer_id]
        call.extension = call.extension or extension
        return self._say(call, "answered", at, extension=extension)

    def _hang_up(self, channel_id: str, at: datetime | None) -> list[CallEvent]:
        call = self._calls.get(channel_id)
        if call is None:
            call = self._calls.get(self._call_of_peer.get(channel_id, ""))
            if call is None:
                return []
            if channel_id != call.ends_with:
                self._drop_peer(call, channel_id)  # a phone that rang and stopped
                return []
        duration: int | None = 0
        if call.answered:
            duration = (None if call.answered_at is None or at is None else
                        min(86_400, max(0, round((at - call.answered_at).total_seconds()))))
        said = self._say(call, "ended", at, extension=call.extension, duration_s=duration)
        self._forget(call)
        return said

    def _extension(self, peer_name: str, dialstring: str) -> str | None:
        for candidate in (endpoint_of(peer_name), dialled(dialstring)):
            if candidate and self._operator_extensions.fullmatch(candidate):
                return candidate
        return None

    def _open(self, call_id: str, caller: Mapping[str, Any], at: datetime | None
              ) -> _Call | None:
        if call_id in self._ended:
            return None  # a late dial of a call already told as ended
        call = self._heard(call_id, at)
        if call is None:
            party = caller.get("caller")
            number = str(party.get("number", "")).strip() if isinstance(party,
                                                                        Mapping) else ""
            call = self._calls[call_id] = _Call(call_id, number[:64] or _WITHHELD, at)
        return call

    def _heard(self, call_id: str, at: datetime | None) -> _Call | None:
        call = self._calls.get(call_id)
        if call is not None:
            self._calls.move_to_end(call_id)
            call.seen_at = at or call.seen_at
        return call

    def _say(self, call: _Call, state: CallState, at: datetime | None,
             **fields: Any) -> list[CallEvent]:
        if state in call.told:
            return []
        call.told.add(state)
        try:
            return [CallEvent.model_validate({"call_id": call.call_id, "event": state,
                                              "from": call.caller_number, "at": at, **fields})]
        except ValidationError:
            return []  # an id the webhook cannot take (set by an ARI originate): skip it

    def _drop_peer(self, call: _Call, peer_id: str) -> None:
        call.peers.pop(peer_id, None)
        self._call_of_peer.pop(peer_id, None)

    def _forget(self, call: _Call) -> None:
        for peer_id in call.peers:
            self._call_of_peer.pop(peer_id, None)
        self._calls.pop(call.call_id, None)
        self._ended[call.call_id] = None
        while len(self._ended) > self._remember_ended:
            self._ended.popitem(last=False)

    def _expire(self, now: datetime | None) -> None:
        while len(self._calls) > self._max_calls:
            self._forget(next(iter(self._calls.values())))
        while now is not None and self._calls:
            oldest = next(iter(self._calls.values()))
            if oldest.seen_at is None or now - oldest.seen_at <= self._max_age:
                break
            self._forget(oldest)
