"""Names across scripts: name forms, card-holder similarity, keyboard mashes.

Names reach us in Latin, Cyrillic and Persian script and cards are embossed in Latin, so
every comparison happens on a Latin form. Cyrillic transliterates well with anyascii; the
Persian (abjad) script writes no short vowels, so Persian names are also compared by their
consonant skeleton ("Mohammad" and "محمد" both become "mhmd").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz

# Persian letters whose usual Latin spelling differs from anyascii's Arabic-style output.
_PERSIAN_TO_LATIN = str.maketrans(
    {
        "ض": "z", "ظ": "z", "ذ": "z", "ث": "s", "ص": "s", "ط": "t", "ع": "", "ء": "",
        "أ": "a", "ئ": "y", "ؤ": "v", "ق": "gh", "و": "v", "ي": "ی", "ك": "ک", "ة": "h",
        "\u200c": "",
    }
)  # fmt: skip
_ABJAD = re.compile(r"[\u0600-\u06FF]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Romanisation variants of the same Cyrillic sound, folded to one spelling.
_VARIANTS: tuple[tuple[str, str], ...] = (
    ("x", "ks"), ("ph", "f"), ("w", "v"), ("j", "y"), ("kh", "h"), ("tz", "ts"),
    ("yu", "iu"), ("ya", "ia"), ("yo", "io"), ("ye", "e"), ("ii", "i"),
)  # fmt: skip
_SKELETON: tuple[tuple[str, str], ...] = (
    ("kh", "x"),
    ("gh", "g"),
    ("q", "g"),
    ("sh", "c"),
    ("ch", "c"),
    ("zh", "j"),
    ("ph", "f"),
)
_VOWELS = re.compile(r"[aeiouyvw]")

_KEYBOARD_ROWS = (
    "qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890",
    "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю",
    "ضصثقفغعهخحجچ", "شسیبلاتنمکگ", "ظطزرذدپو",
)  # fmt: skip
_KEYBOARD_RUNS = _KEYBOARD_ROWS + tuple(row[::-1] for row in _KEYBOARD_ROWS)
_TRIPLED = re.compile(r"(.)\1\1")
_LONG_RUN = re.compile(r"(.)\1\1\1")  # four of a letter in a row: never a real word
_LATIN_VOWEL = re.compile(r"[aeiouy]")
WORD_CACHE = 16384  # recent words (first names, surnames), each decided once


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name prepared for comparison: Latin tokens, their variant-folded forms, its script."""

    raw_tokens: tuple[str, ...]
    tokens: tuple[str, ...]
    abjad: bool


def to_latin(name: str) -> str:
    """Lower-case Latin rendering of a name in any script."""
    text = unicodedata.normalize("NFC", name).translate(_PERSIAN_TO_LATIN)
    # Apostrophes stand for soft signs and ayins inside a word, not between words.
    latin = anyascii(text).lower().replace("'", "").replace("`", "")
    return _NON_WORD.sub(" ", latin).strip()


def _fold(token: str) -> str:
    for old, new in _VARIANTS:
        token = token.replace(old, new)
    token = re.sub(r"(iy|yi|ij)$", "y", token)
    return re.sub(r"y$", "i", token)  # Dmitriy, Dmitry, Dmitrii -> dmitri


def skeleton(token: str) -> str:
    """Consonants only, doubled letters collapsed: the part of a name Persian script writes."""
    for old, new in _SKELETON:
        token = token.replace(old, new)
    token = _VOWELS.sub("", token)
    return re.sub(r"(.)\1+", r"\1", token)


@lru_cache(maxsize=4096)
def name_form(name: str) -> NameForm:
    raw = tuple(to_latin(name).split())
    return NameForm(raw, tuple(_fold(t) for t in raw), bool(_ABJAD.search(name)))


def _token_similarity(a_raw: str, a: str, b_raw: str, b: str, abjad: bool) -> float:
    if len(a_raw) == 1 or len(b_raw) == 1:
        # An initial ("A. Petrova") agrees with a name but proves less than the full word.
        return 90.0 if a_raw[0] == b_raw[0] or a[0] == b[0] else 0.0
    best = fuzz.ratio(a, b)
    if abjad:
        sa, sb = skeleton(a_raw), skeleton(b_raw)
        if sa and sb:
            best = max(best, fuzz.ratio(sa, sb) * (0.9 if min(len(sa), len(sb)) < 3 else 1.0))
    return float(best)


def coverage(short: NameForm, long: NameForm, abjad: bool) -> tuple[float, int]:
    """Mean best similarity of each token of `short` to a distinct token of `long`, and how
    many tokens of `short` were paired."""
    pairs = sorted(
        (
            (_token_similarity(sr, s, lr, lt, abjad), i, j)
            for i, (sr, s) in enumerate(zip(short.raw_tokens, short.tokens, strict=True))
            for j, (lr, lt) in enumerate(zip(long.raw_tokens, long.tokens, strict=True))
        ),
        reverse=True,
    )
    used_short: set[int] = set()
    used_long: set[int] = set()
    total = 0.0
    for sim, i, j in pairs:
        if i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        total += sim
    return total / len(short.tokens), len(used_short)


def name_similarity(a: str, b: str) -> float:
    """0-100: how likely two written names are the same person, across scripts and orders."""
    fa, fb = name_form(a), name_form(b)
    if not fa.tokens or not fb.tokens:
        return 0.0
    short, long = (fa, fb) if len(fa.tokens) <= len(fb.tokens) else (fb, fa)
    score, _ = coverage(short, long, fa.abjad or fb.abjad)
    if len(short.tokens) == 1 and len(long.tokens) > 1:
        score *= 0.85  # one matching word is weak evidence
    if all(len(t) == 1 for t in short.raw_tokens):
        score *= 0.7
    return round(score, 1)


def _is_keyboard_run(token: str) -> bool:
    if len(token) < 4:
        return False
    return any(token in row for row in _KEYBOARD_RUNS)


def is_keyboard_mash(name: str) -> bool:
    """Heuristic for typed nonsense: keyboard runs, long vowelless words, repeated letters.

    A word of one letter repeated ("AAA", "Ооо") is nonsense only when the whole name is
    made of such words ("Aaaa Bbbb"): beside a real word it is a business-name prefix
    ("AAA Plumbing") or a legal form ("ООО Вектор"). Pass the name with its legal form
    set aside (``legal_forms.split_legal_form``).
    """
    words = unicodedata.normalize("NFC", name).lower().split()
    if not words:
        return False
    abjad = bool(_ABJAD.search(name))
    if any(_is_mashed_word(word, abjad) for word in words):
        return True
    if all(_is_one_letter_repeated(word) for word in words):
        return True
    return len(words) > 1 and len(set(words)) == 1 and len(words[0]) <= 4  # "aa aa"


def _letters(word: str) -> str:
    return "".join(ch for ch in word if ch.isalnum())


def _is_one_letter_repeated(word: str) -> bool:
    letters = _letters(word)
    return len(letters) >= 3 and len(set(letters)) == 1


@lru_cache(maxsize=WORD_CACHE)
def _is_mashed_word(word: str, abjad: bool) -> bool:
    # Words repeat far more than names do: first names and surnames are decided once.
    letters = _letters(word)
    if _is_one_letter_repeated(word):
        return False  # judged with the whole name (see is_keyboard_mash)
    if _is_keyboard_run(letters) or _LONG_RUN.search(letters):
        return True
    # A tripled letter inside a short word is typing ("Ivannn"); a long German compound
    # may have one ("Schifffahrt", "Brennnessel").
    if _TRIPLED.search(letters) and len(letters) < 8:
        return True
    latin = to_latin(letters)
    return not abjad and len(latin) >= 5 and not _LATIN_VOWEL.search(latin)
