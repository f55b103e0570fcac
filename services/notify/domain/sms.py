"""How many SMS segments a text costs (GSM 03.38 and UCS-2)."""

from __future__ import annotations

# GSM 03.38 default alphabet; ESC (0x1B) is left out, it only introduces the extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these costs two septets (ESC + the character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str) -> list[int]:
    """The cost of each character in the encoding the text will be sent in."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    # UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) is a pair.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sms_segments(text: str) -> int:
    """Number of SMS segments ``text`` takes: 160/153 septets in GSM-7, 70/67 units in UCS-2.

    A multi-part message never splits an escape sequence or a surrogate pair between parts,
    so a part may hold one unit less than its nominal size.
    """
    if not text:
        return 1
    units = _units(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if is_gsm7(text) else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for unit in units:
        if used + unit > part:
            segments, used = segments + 1, 0
        used += unit
    return segments
