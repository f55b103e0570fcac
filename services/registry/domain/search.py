"""Finding a customer by what an operator remembers: part of a name in any script, an
email, a loyalty card number, a phone number or the customer id.

Names are matched by word prefixes, in three forms, so that the script the name was typed
in does not matter:

- ``n:`` the word transliterated to Latin letters (anyascii): ``Петрова`` → ``petrova``,
  so ``Petro`` and ``Петро`` both find her;
- ``s:`` its consonant skeleton (vowels dropped, doubled letters collapsed): Persian script
  writes no short vowels, so ``محمد`` (``mhmd``) and ``Mohammad`` (``mhmd``), or ``علوی``
  and ``Alavi`` (``lv``), meet here. Persian letters are first given their Persian sound
  (``ض`` is z, ``و`` is v), which the general transliteration reads the Arabic way;
- ``e:`` the email address (whole, and the first characters of it).

Every prefix of at least two letters is stored as a key, so a look-up is an exact match on
one key: an index hit on MongoDB (a multikey index on ``keys``), never a regular expression.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

MIN_PREFIX = 2
MIN_SKELETON = 1  # "Ali" is "l" and "علی" too; a short query's skeleton is broad but ranked last
MAX_PREFIX = 16  # longer words are found by their first 16 letters
MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"[a-z0-9]+")
_VOWELS = frozenset("aeiouy")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


# How Persian speakers read the letters anyascii transliterates as Arabic (or drops).
_PERSIAN = str.maketrans({
    "ض": "z", "ذ": "z", "ظ": "z", "ث": "s", "ص": "s", "ع": "", "ء": "", "و": "v", "ژ": "zh",
    "ق": "gh", "ی": "y", "ي": "y", "ئ": "y", "ک": "k", "ك": "k", "ة": "h",
})
# Apostrophes inside words: Ольга becomes Ol'ga, O'Brien stays one word.
_INSIDE_WORD = re.compile(r"['’ʼ`]")


def _latin_words(text: str) -> list[str]:
    native = unicodedata.normalize("NFKC", text).translate(_PERSIAN)
    folded = _INSIDE_WORD.sub("", anyascii(native)).lower()
    return _WORD.findall(folded)


def skeleton(word: str) -> str:
    """``mohammad`` → ``mhmd``: the consonants, doubles collapsed (the word if none)."""
    collapsed: list[str] = []
    for ch in word:
        if ch not in _VOWELS and (not collapsed or ch != collapsed[-1]):
            collapsed.append(ch)
    return "".join(collapsed) or word


def _prefixes(kind: str, word: str, shortest: int = MIN_PREFIX) -> list[str]:
    top = min(len(word), MAX_PREFIX)
    return [f"{kind}:{word[:length]}" for length in range(shortest, top + 1)]


def search_keys(full_name: str, email: str | None) -> list[str]:
    """The keys a customer is found by (name words in three forms, the email)."""
    keys: list[str] = []
    for word in _latin_words(full_name):
        if len(word) < MIN_PREFIX:  # an initial: queries skip them too
            continue
        keys += _prefixes("n", word)
        keys += _prefixes("s", skeleton(word), MIN_SKELETON)
    if email:
        address = email.lower()
        keys.append(f"e:{address}")
        keys += _prefixes("e", address)
    return sorted(set(keys))


@dataclass(frozen=True)
class NameQuery:
    """What the name words of a query must each match (one of ``alternatives`` per word)."""

    words: tuple[tuple[str, ...], ...]

    @property
    def first(self) -> tuple[str, ...]:
        """The most selective word's keys (the longest word), looked up in the database."""
        return max(self.words, key=lambda keys: len(keys[0]))

    def matches(self, keys: frozenset[str] | set[str]) -> bool:
        return all(any(key in keys for key in word) for word in self.words)

    def exact(self, keys: frozenset[str] | set[str]) -> int:
        """How many words matched as typed (not only by skeleton): ranks results."""
        return sum(word[0] in keys for word in self.words)


def name_query(text: str) -> NameQuery | None:
    """The name words of a query (two letters or more each), or None when there are none."""
    words = []
    for word in _latin_words(text):
        if len(word) < MIN_PREFIX:
            continue
        typed = word[:MAX_PREFIX]
        shape = skeleton(word)[:MAX_PREFIX]
        words.append((f"n:{typed}", f"s:{shape}"))
    return NameQuery(tuple(words)) if words else None


def email_key(text: str) -> str | None:
    """The key of a query that is (the start of) an email address."""
    address = text.strip().lower()
    if "@" not in address or not _EMAIL.match(address):
        return None
    return f"e:{address[:MAX_PREFIX]}" if len(address) <= MAX_PREFIX else f"e:{address}"


def looks_like_number(text: str) -> bool:
    """Digits with phone punctuation: a phone or loyalty card number, not a name."""
    compact = re.sub(r"[\s()+.\-]", "", text)
    return len(compact) >= 4 and all(ch.isdigit() for ch in compact)
