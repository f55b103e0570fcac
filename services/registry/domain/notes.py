"""Operators' notes on a customer: free text for the next colleague who takes the call.

The card shows the newest three; ``GET /api/customers/{id}/notes`` pages through all.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_NOTE_LENGTH = 2000
NOTES_ON_CARD = 3


def note_text(value: str) -> str:
    """A note's text as kept: lines and tabs, but no other control characters."""
    # Line breaks and tabs are text; other control characters would only hide things.
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("text: control characters are not allowed")
    return value


def apply_note(document: Mapping[str, Any] | None, note: Mapping[str, Any]) -> dict[str, Any]:
    """The card with ``note`` first among its newest notes (a repeat is not added twice)."""
    card = dict(document or {})
    kept = [n for n in card.get("notes") or [] if n.get("note_id") != note["note_id"]]
    card["notes"] = [dict(note), *kept][:NOTES_ON_CARD]
    card["revision"] = card.get("revision", 0) + 1
    return card
