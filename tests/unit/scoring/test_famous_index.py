"""The famous-names index finds what comparing the name with every listed name finds."""

from __future__ import annotations

import random

import pytest
from faker import Faker
from rapidfuzz import fuzz, process

from evaluation.population import PopulationGenerator
from services.scoring.domain.famous import FamousMatch, famous_match, famous_names
from services.scoring.domain.names import coverage, name_form

LISTED = [name for _, name, _ in famous_names()]
EXTRA_WORDS = ["Сергеевич", "Ivanovich", "Reza", "Ali", "J.", "Мария", "von", "محمد", "Test"]
LETTERS = "abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщыэюяابپتجچحخدرزسشعفقکگلمنوهی"


def scanned_match(name: str) -> FamousMatch | None:
    """The list scanned as before the index: the 10 listed names most alike as wholes
    (token set ratio 70 or more), then the same word-by-word comparison."""
    form = name_form(name)
    if not form.tokens:
        return None
    listed = famous_names()
    shortlist = process.extract(
        " ".join(form.tokens), [" ".join(entry.tokens) for _, _, entry in listed],
        scorer=fuzz.token_set_ratio, score_cutoff=70, limit=10,
    )  # fmt: skip
    best: FamousMatch | None = None
    for _, _, index in shortlist:
        category, name_as_listed, entry = listed[index]
        if len(form.tokens) - len(entry.tokens) not in (0, 1):
            continue
        if len(entry.tokens) == 1 and len(form.tokens) != 1:
            continue
        score, matched = coverage(entry, form, form.abjad or entry.abjad)
        initials = sum(len(token) == 1 for token in form.raw_tokens)
        if matched == len(entry.tokens) and score >= 88 and initials == 0 and (
                best is None or score > best.similarity):
            best = FamousMatch(category, name_as_listed, round(score, 1))
    return best


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    i, letter = rng.randrange(len(word)), rng.choice(LETTERS)
    return rng.choice([word[:i] + word[i + 1:], word[:i] + letter + word[i + 1:],
                       word[:i] + letter + word[i:], word[:i] + word[i + 1:i + 2] + word[i:]])


def _variants(name: str, rng: random.Random) -> list[str]:
    """The listed name as people type it: case, spacing, order, a typo, an extra word."""
    words = name.split()
    shuffled = rng.sample(words, len(words))
    with_extra = [*words]
    with_extra.insert(rng.randrange(len(words) + 1), rng.choice(EXTRA_WORDS))
    return [
        name, name.upper(), f"  {'   '.join(words)} ", " ".join(reversed(words)),
        " ".join(_typo(word, rng) for word in words), " ".join(shuffled),
        " ".join(with_extra), " ".join(_typo(_typo(word, rng), rng) for word in shuffled),
        words[0], words[-1], f"{words[0][0]}. {words[-1]}",
    ]


def _sample() -> list[str]:
    rng = random.Random(20261201)
    names = [variant for name in LISTED for variant in _variants(name, rng)]
    firsts, lasts = [n.split()[0] for n in LISTED], [n.split()[-1] for n in LISTED]
    names += [f"{rng.choice(firsts)} {rng.choice(lasts)}" for _ in range(400)]
    for locale in ("ru_RU", "fa_IR", "en_US", "de_DE", "tr_TR"):
        faker = Faker(locale)
        faker.seed_instance(rng.randrange(10**6))
        names += [faker.name() for _ in range(150)]
    names += [item.registration.full_name for item in PopulationGenerator(3).population(400)]
    names += ["", "  ", "Test", "test test test", "Иван", "Hafez", "حافظ", "Тест Тестович Тестов"]
    return list(dict.fromkeys(names))


SAMPLE = _sample()


def test_the_sample_holds_matches_and_ordinary_names_in_every_script() -> None:
    matched = [name for name in SAMPLE if scanned_match(name)]
    assert len(matched) > 500 and len(SAMPLE) - len(matched) > 1000
    for letters in ("a-z", "а-я", "ا-ی"):
        low, high = letters.split("-")
        assert any(low <= ch <= high for name in matched for ch in name.lower())


def test_the_index_and_the_scan_agree_on_a_varied_sample() -> None:
    differing = [(name, scanned_match(name), famous_match(name)) for name in SAMPLE
                 if scanned_match(name) != famous_match(name)]
    assert differing == []


@pytest.mark.parametrize("name", ["Pushkn Aleksandr", "Aleksandr  Pushkin Sergeevich",
                                  "Hafez Shirazi", "حافظ شیرازی", "ALI ALAVI", "Тест Тестов"])
def test_a_listed_name_is_found_despite_spelling_order_and_script(name: str) -> None:
    assert famous_match(name) == scanned_match(name) is not None


def test_an_initial_is_never_famous() -> None:
    assert famous_match("A. Pushkin") is None
    assert famous_match("Alexander S Pushkin") is None
