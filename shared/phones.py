"""Phone numbers: whatever an operator types, a caller's line presents or an SMS provider
posts, read as E.164. The suite's one phone normaliser.

Operators type numbers the way callers say them: ``8 900 123-45-67`` (the Russian trunk
prefix), ``+7 (900) 123 45 67``, ``0098 912 345 6789``, ``(212) 555-0123`` or in Persian
digits. phonenumbers does the real work; this module adds the ``00`` international prefix
(phonenumbers only honours the region's own exit code, and Russia's is ``810``) and the
look-up rules for a caller whose country is not known.

A number typed without a country code is read only in the call center's own regions
(``CRM_PHONE_REGIONS``): read in every country of the world, ``2125550123`` is a New York
number and a Tehran one, and a look-up that picked one of them could show the operator
another person's card. Readings that belong to different customers are the operator's
choice, not ours.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence

import phonenumbers

MAX_RAW_LENGTH = 40


class InvalidPhone(ValueError):
    """A phone number could not be read as a real number.

    A ``ValueError``, so that pydantic validators turn it into a 422. The message never
    repeats the number: it may end up in logs, and phone numbers must not.
    """

#: Regions a call center may read national numbers in (ISO 3166-1 alpha-2, upper case).
KNOWN_REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def _ascii_digits(raw: str) -> str:
    """Persian, Arabic-Indic and other Unicode decimal digits become ASCII ones."""
    return "".join(
        str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in raw
    )


def _prepare(raw: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("phone number is empty")
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidPhone(f"phone number is longer than {MAX_RAW_LENGTH} characters")
    text = _ascii_digits(raw.strip())
    compact = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if compact.startswith("00"):
        # "00" is the exit code almost everywhere (Europe, Iran, ...); treat it as "+".
        return "+" + compact[2:]
    return text


def _parse(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str, default_region: str | None) -> str:
    """Return ``raw`` as an E.164 string such as ``+79001234567``.

    ``default_region`` (ISO alpha-2, usually the registration country) reads numbers
    written without a country code. Raises ``InvalidPhone`` for anything that is not a
    valid number of a real numbering plan.
    """
    text = _prepare(raw)
    e164 = _parse(text, default_region)
    if e164 is None:
        if not text.startswith("+") and default_region is None:
            raise InvalidPhone(
                "phone number has no country code; start it with + or choose a country"
            )
        raise InvalidPhone("not a valid phone number for the given country")
    return e164


def phone_regions(text: str) -> tuple[str, ...]:
    """``"ru, US"`` as ``("RU", "US")``: a comma-separated list of regions, in order.

    Raises ``ValueError`` naming the first entry that is no region phonenumbers knows.
    """
    regions: list[str] = []
    for entry in text.split(","):
        region = entry.strip().upper()
        if not region:
            continue
        if region not in KNOWN_REGIONS:
            raise ValueError(f"{region!r} is not an ISO 3166-1 alpha-2 region with a "
                             "numbering plan")
        if region not in regions:
            regions.append(region)
    return tuple(regions)


def _regions(regions: Sequence[str] | str) -> tuple[str, ...]:
    # A lone region is a region, not a sequence of letters.
    return (regions,) if isinstance(regions, str) else tuple(regions)


def phone_lookup_readings(raw: str, regions: Sequence[str] | str = ("RU",)) -> Iterator[str]:
    """The readings of ``phone_lookup_candidates``, lazily and in the same order.

    Parsing is the expensive part of a look-up (each reading is a full phonenumbers parse);
    a caller found by the first reading need not pay for the others.
    """
    text = _prepare(raw)
    national: list[tuple[str, str | None]] = [(text, region) for region in _regions(regions)]
    attempts: list[tuple[str, str | None]]
    if text.startswith("+"):
        attempts = [(text, None)]
    else:
        attempts = [*national[:1], ("+" + text, None), *national[1:]]
    seen: set[str] = set()
    for candidate, region in attempts:
        reading = _parse(candidate, region)
        if reading and reading not in seen:
            seen.add(reading)
            yield reading


def phone_lookup_candidates(raw: str, regions: Sequence[str] | str = ("RU",)) -> list[str]:
    """E.164 readings of a number typed in any common notation, most likely first.

    Used to find a caller whose country is unknown: the number as given (``+...`` or
    ``00...``); else the national number in the call center's first region, the digits as
    already carrying a country code without the ``+``, then the national number in each
    further region. No other country is tried. Raises ``InvalidPhone`` when no reading is a
    valid number.
    """
    candidates = list(phone_lookup_readings(raw, regions))
    if not candidates:
        raise InvalidPhone("not a valid phone number in any common notation")
    return candidates


def normalize_lookup_phone(raw: str, regions: Sequence[str] | str = ("RU",)) -> str:
    """The most likely E.164 reading of a number typed without a known country."""
    return phone_lookup_candidates(raw, regions)[0]
