"""Notes on a customer: plain text, the newest three on the card."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import NoteRequest
from services.registry.domain.notes import NOTES_ON_CARD, apply_note


def test_the_card_keeps_the_newest_notes_once_each() -> None:
    card: dict[str, object] | None = {"customer_id": "c-1", "revision": 4}
    for number in range(5):
        card = apply_note(card, {"note_id": f"n-{number}", "text": f"note {number}"})
    assert card is not None
    assert [n["note_id"] for n in card["notes"]] == ["n-4", "n-3", "n-2"]  # type: ignore[attr-defined]
    again = apply_note(card, {"note_id": "n-4", "text": "note 4"})
    assert len(again["notes"]) == NOTES_ON_CARD and again["revision"] == 10


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "bell\x07", "esc\x1b[31m"])
def test_empty_huge_or_control_character_notes_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        NoteRequest(text=text)


def test_line_breaks_are_text() -> None:
    assert NoteRequest(text="  first line\nsecond\tline ").text == "first line\nsecond\tline"
