"""Search keys: a name is found by part of any word, typed in any of the suite's scripts."""

from __future__ import annotations

import pytest

from services.registry.domain.search import (
    email_key,
    looks_like_number,
    name_query,
    search_keys,
    skeleton,
)


def finds(stored: str, typed: str, email: str | None = None) -> bool:
    query = name_query(typed)
    assert query is not None
    return query.matches(set(search_keys(stored, email)))


@pytest.mark.parametrize(("stored", "typed"), [
    ("Анна Петрова", "Петро"),
    ("Анна Петрова", "anna petrova"),
    ("Anna Petrova", "Анна"),
    ("Ольга Щербакова", "Olga Shcherbakova"),
    ("محمد رضایی", "Mohammad Rezaei"),
    ("Mohammad Rezaei", "محمد"),
    ("علی علوی", "Ali Alavi"),
    ("Zahra Hosseini", "زهرا حسینی"),
    ("Мария Ёлкина", "Maria Yolkina"),
])
def test_a_name_is_found_across_scripts_and_by_a_part(stored: str, typed: str) -> None:
    assert finds(stored, typed)


@pytest.mark.parametrize(("stored", "typed"), [
    ("Анна Петрова", "Сидорова"),
    ("Anna Petrova", "Anna Sidorova"),  # every word of the query must match
    ("Ivan Ivanov", "Ivanovich Petrov"),
])
def test_other_names_are_not_found(stored: str, typed: str) -> None:
    assert not finds(stored, typed)


def test_a_name_typed_as_spelled_ranks_above_a_skeleton_match() -> None:
    query = name_query("Petrova")
    assert query is not None
    exact = set(search_keys("Anna Petrova", None))
    similar = set(search_keys("Anna Pitrava", None))
    assert query.matches(exact) and query.matches(similar)
    assert query.exact(exact) > query.exact(similar)


def test_skeletons_drop_vowels_and_doubled_letters() -> None:
    assert skeleton("mohammad") == "mhmd" and skeleton("hosseini") == "hsn"
    assert skeleton("ea") == "ea"  # a word of vowels keeps itself


def test_emails_are_found_whole_or_by_their_start_in_any_case() -> None:
    keys = set(search_keys("Anna Petrova", "Anna.Petrova@Example.org"))
    assert email_key("ANNA.PETROVA@example.org") in keys
    assert email_key("anna.petrova@ex") in keys  # the first characters
    assert email_key("not an email") is None


def test_numbers_are_told_from_names_and_nothing_is_an_operator() -> None:
    assert looks_like_number("+7 (916) 123-45-67") and looks_like_number("7712345678")
    assert not looks_like_number("Anna") and not looks_like_number("12")
    assert name_query("$where") is not None  # "where": a word, matched as data
    assert name_query("!!") is None and name_query("a") is None
    assert all(":" in key and not key.startswith("$") for key in search_keys("$ne {}", None))
