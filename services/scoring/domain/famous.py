"""Famous, fictional and placeholder names, found in a registered name through a word index.

A listed name is matched when each of its words pairs with a distinct word of the
registered name, the words' mean similarity (``names.coverage``) reaching ``MATCH_FROM``.
Comparing every registered name with every listed one was most of the cost of scoring a
registration, so the list is indexed by word: each registered word is looked up among the
few hundred distinct listed words, and only the listed names all of whose words came near
are compared in full. The bar is a mean, so each word of an n-word listed name must reach
``100 - (100 - MATCH_FROM) * n`` on its own: a name with a word below that cannot match,
and leaving it out changes no result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from services.scoring.domain.names import (
    WORD_CACHE,
    NameForm,
    coverage,
    name_form,
    skeleton,
    to_latin,
)

FAMOUS_NAMES_PATH = Path(__file__).resolve().parent.parent / "famous_names.txt"
MATCH_FROM = 88.0  # the mean word similarity that makes a listed name a match
# Words that only a test or made-up registration carries, in their Latin form: one of them
# anywhere in a name makes it a placeholder ("Иван Иванович Тестов", "Test Ivanova").
PLACEHOLDER_WORDS = frozenset({
    "test", "testov", "testova", "testovich", "testovna", "testovyy", "testovaya", "testovyi",
    "tst", "tsty", "azmysh", "azmyshy", "dummy", "noname", "fake", "feyk",
})  # fmt: skip
_NOT_A_LETTER = "«»„“”\"'‘’()[].,;:!?-"
# The whole-name similarity (token set ratio) a listed name needed to be compared at all
# when the list was scanned; kept, so that what matches stays what matched.
SHORTLIST_FROM = 70.0

Listed = tuple[str, str, NameForm]  # (category, name as listed, its form)
WordKey = tuple[str, str, bool]  # (Latin word, variant-folded word, listed in Persian script)


@dataclass(frozen=True, slots=True)
class FamousMatch:
    category: str
    name: str
    similarity: float


@lru_cache(maxsize=4)
def famous_names(path: Path = FAMOUS_NAMES_PATH) -> tuple[Listed, ...]:
    """(category, name, form) for every line `category: name` of the famous-names file."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        category, _, name = line.partition(":")
        entries.append((category.strip(), name.strip(), name_form(name.strip())))
    return tuple(entries)


class FamousIndex:
    """The listed names by word: each distinct listed word once, and the names using it."""

    def __init__(self, listed: Sequence[Listed]) -> None:
        self.listed = tuple(listed)
        # What the scan's shortlist compared: the folded words of each listed name.
        self.joined = tuple(" ".join(form.tokens) for _, _, form in self.listed)
        ids: dict[WordKey, int] = {}
        self.words_of = tuple(
            tuple(ids.setdefault((raw, folded, form.abjad), len(ids))
                  for raw, folded in zip(form.raw_tokens, form.tokens, strict=True))
            for _, _, form in self.listed
        )  # fmt: skip
        words = list(ids)
        self.names_with: dict[int, list[int]] = {}
        for entry, word_ids in enumerate(self.words_of):
            for word in dict.fromkeys(word_ids):
                self.names_with.setdefault(word, []).append(entry)
        self.folded = [folded for _, folded, _ in words]
        # A listed initial is compared by its letter alone (at most 90, see names).
        self.initials = [i for i, (raw, _, _) in enumerate(words) if len(raw) == 1]
        # Consonant skeletons count when either side is written in Persian script.
        shapes = [(i, skeleton(raw)) for i, (raw, _, _) in enumerate(words)]
        self.shapes_any = _Shapes([(i, shape) for i, shape in shapes if shape])
        self.shapes_persian = _Shapes([(i, shape) for i, shape in shapes if shape and words[i][2]])
        self.longest = max((len(form.tokens) for _, _, form in self.listed), default=0)
        # Registered words repeat (first names, surnames): each is looked up once.
        self.near = lru_cache(maxsize=WORD_CACHE)(self._near)

    def match(self, form: NameForm) -> FamousMatch | None:
        """The listed name `form` is, if any: the most similar of the complete matches."""
        query = " ".join(form.tokens)
        shortlist = sorted(
            (-fuzz.token_set_ratio(query, self.joined[entry]), entry)
            for entry in self.candidates(form)
        )
        best: FamousMatch | None = None
        for minus_ratio, entry in shortlist:
            if -minus_ratio < SHORTLIST_FROM:
                break
            category, listed, entry_form = self.listed[entry]
            score, matched = coverage(entry_form, form, form.abjad or entry_form.abjad)
            complete = matched == len(entry_form.tokens) and score >= MATCH_FROM
            if complete and (best is None or score > best.similarity):
                best = FamousMatch(category, listed, round(score, 1))
        return best

    def candidates(self, form: NameForm) -> list[int]:
        """Listed names whose every word came near a word of `form`, in list order.

        A listed name has as many words as `form` or one fewer (a patronymic or a middle
        name may be extra), and a one-word listed name matches only a one-word name.
        """
        sizes = range(max(1, len(form.tokens) - 1), min(len(form.tokens), self.longest) + 1)
        if not sizes:
            return []
        floor = 100 - (100 - MATCH_FROM) * sizes[-1] - 1  # 1 below: no float doubt at the edge
        best = dict.fromkeys(self.initials, 90.0)
        for raw, folded in zip(form.raw_tokens, form.tokens, strict=True):
            for word, similarity in self.near(raw, folded, form.abjad, floor):
                best[word] = max(similarity, best.get(word, 0.0))
        touched = sorted({entry for word in best for entry in self.names_with.get(word, ())})
        found = []
        for entry in touched:
            words = self.words_of[entry]
            if len(words) not in sizes or (len(words) == 1 and len(form.tokens) != 1):
                continue  # "Hafez" alone is famous; "Hafez Karimi" is an ordinary man
            if all(word in best for word in words) and (
                    sum(best[word] for word in words) >= MATCH_FROM * len(words) - 1):
                found.append(entry)
        return found

    def _near(self, raw: str, folded: str, abjad: bool, floor: float
              ) -> tuple[tuple[int, float], ...]:
        """Listed words one registered word may reach `floor` with, and how closely at most."""
        near = [(word, float(similarity)) for _, similarity, word in process.extract(
            folded, self.folded, scorer=fuzz.ratio, score_cutoff=floor, limit=None)]
        shape = skeleton(raw)
        if shape:
            near += (self.shapes_any if abjad else self.shapes_persian).near(shape, floor)
        return tuple(near)


class _Shapes:
    """Consonant skeletons of listed words, compared as ``names`` compares them."""

    def __init__(self, shapes: list[tuple[int, str]]) -> None:
        self.words = [word for word, _ in shapes]
        self.shapes = [shape for _, shape in shapes]

    def near(self, shape: str, floor: float) -> list[tuple[int, float]]:
        found = []
        for listed, similarity, i in process.extract(
                shape, self.shapes, scorer=fuzz.ratio, score_cutoff=floor, limit=None):
            similarity *= 0.9 if min(len(shape), len(listed)) < 3 else 1.0
            if similarity >= floor:
                found.append((self.words[i], float(similarity)))
        return found


@lru_cache(maxsize=4)
def famous_index(path: Path = FAMOUS_NAMES_PATH) -> FamousIndex:
    return FamousIndex(famous_names(path))


def famous_match(name: str, path: Path = FAMOUS_NAMES_PATH) -> FamousMatch | None:
    """The famous, fictional or placeholder name this name is, if any.

    Every word of the listed name must be present; one extra word (a patronymic or a
    middle name) is allowed, so "Пушкин Александр Сергеевич" is still Pushkin. A name
    with an initial is never famous: "A. Pushkin" proves too little.
    """
    form = name_form(name)
    if not form.tokens or any(len(token) == 1 for token in form.raw_tokens):
        return None
    return famous_index(path).match(form)


def placeholder_word(name: str) -> FamousMatch | None:
    """A word of the name that only test and made-up registrations carry ("Тестов", "تست"),
    as a placeholder match; the listed names are matched by ``famous_match``."""
    for word in name.split():
        if to_latin(word) in PLACEHOLDER_WORDS:
            return FamousMatch("placeholder", word.strip(_NOT_A_LETTER), 100.0)
    return None
