"""Operators' screens: a message reaches every tab of one person, in its language, and no
one else; a tab that stops reading is closed instead of holding memory."""

from __future__ import annotations

import asyncio

from services.registry.api.screens import CLOSE, QUEUE_SIZE, Screens, sse


async def test_a_push_reaches_each_tab_of_the_person_only_in_its_language() -> None:
    screens = Screens()
    english, persian = screens.open("op-anna", "en"), screens.open("op-anna", "fa")
    other = screens.open("op-reza", "en")
    reached = screens.push("op-anna", lambda language: sse("call", {"lang": language}))
    assert reached == 2
    assert '"lang": "en"' in english.queue.get_nowait()
    assert '"lang": "fa"' in persian.queue.get_nowait()
    assert other.queue.empty()
    assert screens.push("op-nobody", lambda language: "x") == 0


async def test_a_tab_that_does_not_read_is_closed_and_closing_all_ends_every_stream() -> None:
    screens = Screens()
    stuck = screens.open("op-anna", "en")
    for _ in range(QUEUE_SIZE):
        screens.push("op-anna", lambda language: "message")
    assert screens.push("op-anna", lambda language: "one too many") == 0
    assert stuck.queue.get_nowait() is CLOSE and screens.watching("op-anna") == 0
    live = screens.open("op-reza", "ru")
    screens.close_all()
    assert await asyncio.wait_for(live.queue.get(), 1) is CLOSE


def test_an_event_is_one_json_line() -> None:
    assert sse("call", {"name": "Анна"}, "c1:ringing") == (
        'id: c1:ringing\nevent: call\ndata: {"name": "Анна"}\n\n')
