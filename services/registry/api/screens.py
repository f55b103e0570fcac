"""Operators' screens: the open ``/api/operators/me/stream`` connections, by person.

A ring is pushed to every screen (tab) of the one person whose extension it rings on, and
to nobody else. Each screen has a small queue; a screen that stops reading (a frozen tab)
is closed rather than allowed to hold memory, and its browser reconnects, getting the
calls still open on connect (see ``api.telephony``).

One registry process knows only its own screens: with several replicas, the telephony
webhook reaches the operator only on the replica holding the operator's stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from shared.contracts.types import Language

QUEUE_SIZE = 64
CLOSE = object()  # put on a screen's queue to end its stream


def sse(kind: str, data: Any, event_id: str | None = None) -> str:
    """One Server-Sent Event (the data is one line of JSON)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@dataclass(eq=False)
class Screen:
    """One open stream: whose it is, the panel's language, and what waits to be sent."""

    operator_id: str
    language: Language
    queue: asyncio.Queue[Any] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


class Screens:
    @classmethod
    def counted_in(cls, registry: CollectorRegistry) -> Screens:
        return cls(Gauge("crm_operator_screens", "Open operator streams (panel tabs).",
                         registry=registry))

    def __init__(self, gauge: Gauge | None = None) -> None:
        self._by_operator: dict[str, set[Screen]] = {}
        self._gauge = gauge

    def open(self, operator_id: str, language: Language) -> Screen:
        screen = Screen(operator_id, language)
        self._by_operator.setdefault(operator_id, set()).add(screen)
        self._count()
        return screen

    def close(self, screen: Screen) -> None:
        screens = self._by_operator.get(screen.operator_id)
        if screens is not None:
            screens.discard(screen)
            if not screens:
                del self._by_operator[screen.operator_id]
        self._count()

    def watching(self, operator_id: str) -> int:
        return len(self._by_operator.get(operator_id, ()))

    def push(self, operator_id: str, message: Callable[[Language], str]) -> int:
        """Queue ``message(language)`` on each of the person's screens; the number reached."""
        reached = 0
        rendered: dict[Language, str] = {}
        for screen in list(self._by_operator.get(operator_id, ())):
            if screen.language not in rendered:
                rendered[screen.language] = message(screen.language)
            try:
                screen.queue.put_nowait(rendered[screen.language])
                reached += 1
            except asyncio.QueueFull:  # not reading: end it, the browser reconnects
                self._end(screen)
        return reached

    def end_person(self, operator_id: str) -> None:
        """End the person's streams (their directory entry changed: a disable ends their
        sessions; a new extension or name reaches the panel as it reconnects)."""
        for screen in list(self._by_operator.get(operator_id, ())):
            self._end(screen)

    def close_all(self) -> None:
        """End every stream (the service is stopping)."""
        for screens in list(self._by_operator.values()):
            for screen in list(screens):
                self._end(screen)

    def _end(self, screen: Screen) -> None:
        self.close(screen)
        while True:
            try:
                screen.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        screen.queue.put_nowait(CLOSE)

    def _count(self) -> None:
        if self._gauge is not None:
            self._gauge.set(sum(len(screens) for screens in self._by_operator.values()))
