from services.notify.domain import is_gsm7, sms_segments


def test_160_plain_characters_fit_one_segment() -> None:
    assert sms_segments("a" * 160) == 1


def test_161_plain_characters_take_two_parts_of_153() -> None:
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2
    assert sms_segments("a" * 307) == 3


def test_extension_characters_count_twice() -> None:
    assert is_gsm7("€")
    assert sms_segments("€" * 80) == 1
    assert sms_segments("€" * 81) == 2


def test_an_escape_pair_is_not_split_between_parts() -> None:
    # 152 septets, then "€" (2 septets) cannot straddle the 153 boundary: it opens part two.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == 3


def test_cyrillic_switches_to_ucs2_with_70_single_and_67_per_part() -> None:
    assert not is_gsm7("Спасибо")
    assert sms_segments("я" * 70) == 1
    assert sms_segments("я" * 71) == 2
    assert sms_segments("я" * 134) == 2
    assert sms_segments("я" * 135) == 3


def test_one_non_gsm_character_turns_a_latin_text_into_ucs2() -> None:
    assert sms_segments("a" * 70 + "ж") == 2


def test_an_emoji_costs_two_ucs2_units() -> None:
    assert sms_segments("😀" * 35) == 1
    assert sms_segments("😀" * 36) == 2


def test_persian_digits_and_zero_width_non_joiner_are_single_ucs2_units() -> None:
    assert sms_segments("۱" * 69 + "\u200c") == 1


def test_an_empty_text_is_still_one_segment() -> None:
    assert sms_segments("") == 1
