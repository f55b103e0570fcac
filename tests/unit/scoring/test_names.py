from __future__ import annotations

import pytest

from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.famous import famous_match, placeholder_word
from services.scoring.domain.names import is_keyboard_mash, name_similarity


def test_cyrillic_card_holder_matches_latin_name(config: ScoringConfig) -> None:
    assert name_similarity("Анна Петрова", "ANNA PETROVA") >= config.card_holder.match_from


def test_persian_name_matches_its_latin_card_holder(config: ScoringConfig) -> None:
    assert name_similarity("محمد حسینی", "MOHAMMAD HOSSEINI") >= config.card_holder.match_from


def test_reversed_word_order_and_patronymic_still_match(config: ScoringConfig) -> None:
    similarity = name_similarity("Сазонов Арсений Дмитриевич", "ARSENII SAZONOV")
    assert similarity >= config.card_holder.match_from


def test_initial_matches_first_name(config: ScoringConfig) -> None:
    assert name_similarity("Anna Petrova", "A. Petrova") >= config.card_holder.match_from


@pytest.mark.parametrize(
    ("registered", "card"),
    [("Юлия Щербакова", "YULIA SCHERBAKOVA"), ("Дмитрий Сергеев", "DMITRII SERGEEV")],
)
def test_transliteration_variants_match(registered: str, card: str, config: ScoringConfig) -> None:
    assert name_similarity(registered, card) >= config.card_holder.match_from


def test_different_people_do_not_match(config: ScoringConfig) -> None:
    assert name_similarity("Anna Petrova", "John Smith") < config.card_holder.partial_from


def test_relative_with_same_surname_is_a_partial_match(config: ScoringConfig) -> None:
    similarity = name_similarity("Anna Petrova", "Ivan Petrov")
    assert config.card_holder.partial_from <= similarity < config.card_holder.match_from


@pytest.mark.parametrize(
    "name",
    ["Пушкин Александр Сергеевич", "Dmitriy Medvedev", "حافظ شیرازی", "ALI ALAVI", "Test Test"],
)
def test_listed_names_are_recognised_in_any_script_and_order(name: str) -> None:
    assert famous_match(name) is not None


@pytest.mark.parametrize("name", ["Anna Petrova", "Hafez Karimi", "Vladimir Popov"])
def test_ordinary_names_are_not_famous(name: str) -> None:
    assert famous_match(name) is None


@pytest.mark.parametrize("name", ["Asdfg Hjkl", "Фыва Олдж", "Xcvbn Smith", "Aaaa Bbbb"])
def test_keyboard_mashes_are_detected(name: str) -> None:
    assert is_keyboard_mash(name)


@pytest.mark.parametrize("name", ["Schmidt Mkrtchyan", "Анна Петрова", "محمد حسینی", "Ng Li"])
def test_real_names_are_not_keyboard_mashes(name: str) -> None:
    assert not is_keyboard_mash(name)


@pytest.mark.parametrize(
    "name", ["ООО «Северная Логистика»", "ООО Вектор", "OOO Romashka", "AAA Plumbing",
             "AAAA Locksmith", "Schifffahrt Meier"],
)  # fmt: skip
def test_company_names_with_a_repeated_letter_are_not_keyboard_mashes(name: str) -> None:
    assert not is_keyboard_mash(name)


@pytest.mark.parametrize("name", ["AAA", "Zzz Zzz", "Ivannn Petrov", "Annnna Petrova"])
def test_repeated_letters_alone_or_inside_a_short_word_are_still_mashes(name: str) -> None:
    assert is_keyboard_mash(name)


@pytest.mark.parametrize("name", ["Ivan Ivanov", "Иван Иванович Иванов", "Mario Rossi",
                                  "علی علوی", "Petr Petrov"])
def test_common_real_names_are_listed_as_common_not_as_placeholders(name: str) -> None:
    match = famous_match(name)
    assert match is not None and match.category == "common"


@pytest.mark.parametrize("name", ["John Doe", "Test Test", "Max Mustermann", "Вася Пупкин"])
def test_names_nobody_is_called_stay_placeholders(name: str) -> None:
    match = famous_match(name)
    assert match is not None and match.category == "placeholder"


@pytest.mark.parametrize(
    ("name", "word"),
    [("Иван Иванович Тестов", "Тестов"), ("Test Ivanova", "Test"), ("علی تست", "تست"),
     ("«Тестовая» Анна", "Тестовая")],
)  # fmt: skip
def test_a_test_word_anywhere_makes_a_placeholder(name: str, word: str) -> None:
    match = placeholder_word(name)
    assert match is not None and (match.category, match.name) == ("placeholder", word)


@pytest.mark.parametrize("name", ["Anna Testa", "Ivan Tester", "Анна Петрова", "محمد حسینی"])
def test_names_near_a_test_word_are_not_placeholders(name: str) -> None:
    assert placeholder_word(name) is None
