import pytest

from services.registry.domain import (
    InvalidPhone,
    normalize_lookup_phone,
    normalize_phone,
    phone_lookup_candidates,
    phone_lookup_readings,
)
from shared.phones import phone_regions


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("8 900 123-45-67", "RU", "+79001234567"),
        ("+7 (900) 123 45 67", "RU", "+79001234567"),
        ("+7 (900) 123 45 67", None, "+79001234567"),
        ("0098 912 345 6789", "IR", "+989123456789"),
        ("00 98 912 345 6789", "US", "+989123456789"),
        ("+98 912 345 6789", None, "+989123456789"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "IR", "+989123456789"),
        ("٠٩١٢٣٤٥٦٧٨٩", "IR", "+989123456789"),
        ("+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹", None, "+989123456789"),
    ],
)
def test_common_notations_normalise_to_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


def test_double_zero_prefix_is_international_even_where_the_exit_code_differs() -> None:
    # Russia's exit code is 810, but callers and CRMs write 00 all the same.
    assert normalize_phone("0098 912 345 6789", "RU") == "+989123456789"


def test_region_is_case_insensitive() -> None:
    assert normalize_phone("8 900 123-45-67", "ru") == "+79001234567"


@pytest.mark.parametrize("raw", ["12345", "+7 900", "+999 123 456 789", "not a phone", "+", ""])
def test_invalid_numbers_raise_invalid_phone(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw, "RU")


def test_invalid_phone_message_does_not_repeat_the_number() -> None:
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone("8 900 123", "RU")
    assert "900" not in str(raised.value)


def test_national_number_without_region_asks_for_a_country_code() -> None:
    with pytest.raises(InvalidPhone, match="country code"):
        normalize_phone("(212) 555-0123", None)


def test_absurdly_long_input_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidPhone, match="longer than"):
        normalize_phone("+7" + "9" * 60, "RU")


def test_lookup_reads_a_russian_trunk_number_with_the_call_centers_region() -> None:
    assert normalize_lookup_phone("89001234567", ("RU",)) == "+79001234567"


def test_lookup_reads_digits_that_already_carry_a_country_code() -> None:
    assert "+989123456789" in phone_lookup_candidates("989123456789", ("RU",))


def test_lookup_prefers_the_number_as_given_when_it_has_a_plus() -> None:
    assert phone_lookup_candidates("+98 912 345 6789", ("RU",)) == ["+989123456789"]


def test_lookup_tries_the_first_region_first() -> None:
    candidates = phone_lookup_candidates("09123456789", ("IR", "RU"))
    assert candidates[0] == "+989123456789"


def test_a_new_york_number_is_read_in_the_regions_that_include_the_us() -> None:
    assert phone_lookup_candidates("2125550123", ("RU", "US")) == ["+12125550123"]


def test_the_same_digits_are_a_tehran_number_where_only_iran_is_configured() -> None:
    assert phone_lookup_candidates("2125550123", ("IR",)) == ["+982125550123"]


def test_digits_valid_in_two_configured_regions_have_both_readings_in_region_order() -> None:
    assert phone_lookup_candidates("(212) 555-0123", ("US", "IR")) == [
        "+12125550123", "+982125550123"]


def test_countries_outside_the_configured_regions_are_never_tried() -> None:
    # Read in Russia only, these digits are nobody's number: not Tehran's, not New York's.
    with pytest.raises(InvalidPhone):
        phone_lookup_candidates("(212) 555-0123", ("RU",))


@pytest.mark.parametrize("regions", [(), ("RU",), ("IR",), ("US", "IR", "DE")])
def test_a_number_with_a_plus_reads_the_same_whatever_the_regions(
        regions: tuple[str, ...]) -> None:
    assert phone_lookup_candidates("+1 (212) 555-0123", regions) == ["+12125550123"]
    assert phone_lookup_candidates("0098 21 2555 0123", regions) == ["+982125550123"]


def test_a_lone_region_is_one_region_not_its_letters() -> None:
    assert phone_lookup_candidates("2125550123", "US") == ["+12125550123"]


def test_without_regions_only_the_digits_as_an_international_number_are_read() -> None:
    assert phone_lookup_candidates("79001234567", ()) == ["+79001234567"]


def test_lookup_candidates_have_no_duplicates() -> None:
    candidates = phone_lookup_candidates("8 900 123-45-67", ("RU", "IR", "US"))
    assert len(candidates) == len(set(candidates))


def test_lookup_of_garbage_raises_invalid_phone() -> None:
    with pytest.raises(InvalidPhone):
        phone_lookup_candidates("123", ("RU", "US"))


@pytest.mark.parametrize("typed", ["8 900 123-45-67", "+7 (900) 123 45 67", "0098 912 345 6789",
                                   "79001234567", "(212) 555-0123", "۰۹۱۲۳۴۵۶۷۸۹"])
def test_lazy_readings_come_in_the_order_of_the_candidates(typed: str) -> None:
    regions = ("RU", "US", "IR")
    assert list(phone_lookup_readings(typed, regions)) == phone_lookup_candidates(typed, regions)


def test_configured_regions_are_read_from_a_comma_separated_list() -> None:
    assert phone_regions(" ru, US,,ru ") == ("RU", "US")


def test_an_unknown_region_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        phone_regions("RU,XX")
