from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import CategoryPatch
from services.registry.domain import (
    DEFAULT_CATEGORIES,
    Category,
    UnknownCategory,
    require_category,
)
from services.registry.domain.categories import patched

DEFAULTS = {category.slug: category for category in DEFAULT_CATEGORIES}


def test_the_four_default_categories_are_seeded() -> None:
    assert list(DEFAULTS) == ["ordinary", "vip", "problematic", "employee"]


@pytest.mark.parametrize("slug", ["ordinary", "vip", "problematic", "employee"])
def test_every_default_has_a_title_in_english_russian_and_persian(slug: str) -> None:
    titles = DEFAULTS[slug].titles
    assert titles.en and titles.ru and titles.fa
    assert any("\u0400" <= ch <= "\u04ff" for ch in titles.ru)  # Cyrillic
    assert any("\u0600" <= ch <= "\u06ff" for ch in titles.fa)  # Arabic script


def test_default_titles_read_as_expected() -> None:
    assert DEFAULTS["problematic"].titles.ru == "Проблемный"
    assert DEFAULTS["employee"].titles.fa == "کارمند"


def test_problematic_customers_pay_in_advance() -> None:
    assert DEFAULTS["problematic"].prepayment_required is True
    assert DEFAULTS["problematic"].payment_policy("any") == "prepaid_only"


def test_employees_get_a_discount_and_others_do_not() -> None:
    assert DEFAULTS["employee"].discount_percent == Decimal(20)
    assert DEFAULTS["ordinary"].discount_percent == 0


def test_risk_policy_wins_when_the_category_has_no_rule() -> None:
    assert DEFAULTS["vip"].payment_policy("irreversible_only") == "irreversible_only"


def test_title_falls_back_to_english_when_a_translation_is_missing() -> None:
    category = Category.model_validate({"slug": "wholesale", "titles": {"en": "Wholesale"}})
    assert category.titles.in_language("fa") == "Wholesale"


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "123456"])
def test_colour_must_be_hash_rrggbb(colour: str) -> None:
    with pytest.raises(ValidationError):
        Category.model_validate({"slug": "x", "titles": {"en": "X"}, "colour": colour})


@pytest.mark.parametrize("discount", [-1, 101, "100.001"])
def test_discount_is_a_percentage(discount: object) -> None:
    with pytest.raises(ValidationError):
        Category.model_validate({"slug": "x", "titles": {"en": "X"}, "discount_percent": discount})


def test_category_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        Category.model_validate({"slug": "x", "titles": {"en": "X"}, "color": "#000000"})


def test_patch_changes_the_given_fields_and_keeps_the_slug() -> None:
    patch = CategoryPatch.model_validate({"colour": "#000000"})
    changed = patched(DEFAULTS["vip"], patch.changes())
    assert (changed.slug, changed.colour, changed.titles) == (
        "vip",
        "#000000",
        DEFAULTS["vip"].titles,
    )


def test_patch_cannot_rename_the_slug() -> None:
    with pytest.raises(ValidationError):
        CategoryPatch.model_validate({"slug": "gold"})


def test_empty_category_patch_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        CategoryPatch.model_validate({})


def test_unknown_category_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownCategory) as raised:
        require_category("platinum", DEFAULT_CATEGORIES)
    assert str(raised.value).endswith("employee, ordinary, problematic, vip")


def test_known_category_passes() -> None:
    require_category("vip", ["ordinary", "vip"])


def test_a_category_has_no_advice_of_its_own_unless_given() -> None:
    assert all(category.advice is None for category in DEFAULT_CATEGORIES)


def test_a_category_takes_advice_per_language_falling_back_to_english() -> None:
    category = Category.model_validate({"slug": "wholesale", "titles": {"en": "Wholesale"},
                                        "advice": {"en": " Offer the price list. ",
                                                   "fa": "فهرست قیمت را پیشنهاد دهید."}})
    assert category.advice is not None
    assert category.advice.in_language("en") == "Offer the price list."
    assert category.advice.in_language("ru") == "Offer the price list."
    assert category.advice.in_language("fa") == "فهرست قیمت را پیشنهاد دهید."


@pytest.mark.parametrize("advice", [
    {"ru": "Без английского"},
    {"en": ""},
    {"en": "x" * 301},
    {"en": "Two\nlines"},
    {"en": "Be <b>nice</b>"},
    {"en": "<script>alert(1)</script>"},
    {"en": "Fine", "de": "Gut"},
])
def test_advice_is_one_short_line_of_plain_text_with_english(advice: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Category.model_validate({"slug": "x", "titles": {"en": "X"}, "advice": advice})


def test_advice_may_compare_amounts() -> None:
    category = Category.model_validate(
        {"slug": "x", "titles": {"en": "X"}, "advice": {"en": "Orders < 1000 need no approval."}})
    assert category.advice is not None


def test_a_patch_gives_advice_and_clearing_it_goes_back_to_the_built_in_one() -> None:
    advised = patched(DEFAULTS["vip"], CategoryPatch.model_validate(
        {"advice": {"en": "Call them by name."}}).changes())
    assert advised.advice is not None and advised.advice.en == "Call them by name."
    cleared = patched(advised, CategoryPatch.model_validate({"advice": None}).changes())
    assert cleared.advice is None and cleared.titles == DEFAULTS["vip"].titles


def test_a_patch_still_cannot_clear_a_required_field() -> None:
    with pytest.raises(ValidationError, match="cannot be cleared: titles"):
        CategoryPatch.model_validate({"titles": None})
