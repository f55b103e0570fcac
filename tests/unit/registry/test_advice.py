"""Advice on the card: built in for the default categories and every segment, and a
category's own advice (an admin's) instead of the built-in one."""

from typing import get_args

import pytest

from services.registry.domain import DEFAULT_CATEGORIES, Category
from services.registry.domain.advice import (
    CATEGORY_ADVICE,
    SEGMENT_ADVICE,
    category_advice,
    segment_advice,
)
from shared.contracts.types import Segment

DEFAULTS = {category.slug: category for category in DEFAULT_CATEGORIES}
EVERY_TEXT = [*CATEGORY_ADVICE.values(), *SEGMENT_ADVICE.values()]


def test_every_default_category_has_advice() -> None:
    assert set(CATEGORY_ADVICE) == set(DEFAULTS)


def test_every_segment_has_advice() -> None:
    assert set(SEGMENT_ADVICE) == set(get_args(Segment))


@pytest.mark.parametrize("texts", EVERY_TEXT)
def test_advice_is_in_english_russian_and_persian(texts: dict[str, str]) -> None:
    assert set(texts) == {"en", "ru", "fa"}
    assert all(text.strip() == text and text.endswith(".") for text in texts.values())
    assert any("\u0400" <= ch <= "\u04ff" for ch in texts["ru"])  # Cyrillic
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts["fa"])  # Arabic script


@pytest.mark.parametrize("texts", EVERY_TEXT)
def test_built_in_advice_would_pass_as_a_categorys_own(texts: dict[str, str]) -> None:
    Category.model_validate({"slug": "x", "titles": {"en": "X"}, "advice": texts})


def test_problematic_customers_are_told_to_pay_first() -> None:
    assert category_advice(DEFAULTS["problematic"], "ru") == CATEGORY_ADVICE["problematic"]["ru"]
    assert "предоплата" in CATEGORY_ADVICE["problematic"]["ru"].lower()


def test_a_bargain_hunter_is_held_to_the_price() -> None:
    assert segment_advice("bargain_hunter", "en").startswith("Bargain hunter: hold the price")


def test_no_segment_yet_means_no_segment_advice() -> None:
    assert segment_advice(None, "fa") is None


def test_a_custom_category_without_advice_has_none() -> None:
    wholesale = Category.model_validate({"slug": "wholesale", "titles": {"en": "Wholesale"}})
    assert category_advice(wholesale, "en") is None


def test_a_categorys_own_advice_replaces_the_built_in_one() -> None:
    own = Category.model_validate({**DEFAULTS["vip"].model_dump(), "advice": {
        "en": "Put them through to the VIP desk.", "ru": "Переведите на VIP-линию."}})
    assert category_advice(own, "ru") == "Переведите на VIP-линию."
    # Its English stands in for a missing language, not the built-in Persian (which may
    # say something else now).
    assert category_advice(own, "fa") == "Put them through to the VIP desk."
