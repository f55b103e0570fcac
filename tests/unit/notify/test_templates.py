import pytest

from services.notify.domain import (
    LANGUAGES,
    TEMPLATE_KINDS,
    WHY_US_REASONS,
    WINBACK_REASONS,
    is_gsm7,
    render,
    sms_segments,
)
from services.notify.domain.templates import EMPLOYEE_LABEL_MAX, templates_for

CONTEXT = {"employee": "E" * EMPLOYEE_LABEL_MAX, "bonus_points": "10000", "low": 1, "high": 5,
           "points": "100000", "date": "2027-12-31"}

# The fewest segments each text can take in its alphabet. Russian and Persian need UCS-2
# (70 units); the two surveys that list five numbered options do not fit 70, so they take 2.
MAX_SEGMENTS = {("en", kind): 1 for kind in TEMPLATE_KINDS} | {
    (lang, kind): 2 if kind in ("winback_survey", "why_us_survey") else 1
    for lang in ("ru", "fa")
    for kind in TEMPLATE_KINDS
}


def test_every_language_has_every_template() -> None:
    expected = {*TEMPLATE_KINDS, "quality_survey_team"}
    for language in LANGUAGES:
        assert set(templates_for(language)) == expected, language


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_every_english_template_renders_into_one_gsm7_segment(kind: str) -> None:
    text = render(kind, "en", CONTEXT)  # type: ignore[arg-type]
    assert is_gsm7(text)
    assert sms_segments(text) == 1


@pytest.mark.parametrize("language", ["ru", "fa"])
@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_russian_and_persian_templates_take_the_fewest_segments_possible(
    language: str, kind: str
) -> None:
    text = render(kind, language, CONTEXT)  # type: ignore[arg-type]
    assert sms_segments(text) <= MAX_SEGMENTS[(language, kind)]


def test_the_quality_survey_names_the_employee_who_served() -> None:
    assert "Anna" in render("quality_survey", "en", {"employee": "Anna"})
    assert "Анна" in render("quality_survey", "ru", {"employee": "Анна"})


def test_a_quality_survey_without_an_employee_asks_about_our_service() -> None:
    assert render("quality_survey", "en", {}).startswith("How would you rate our service")


def test_a_long_employee_label_is_cut_to_keep_one_segment() -> None:
    text = render("quality_survey", "ru", {"employee": "Константин Константинопольский"})
    assert "Константин Констан" in text
    assert "Константинопольский" not in text
    assert sms_segments(text) == 1


def test_an_unknown_language_falls_back_to_english() -> None:
    assert render("thank_you_gold", "de", {}) == render("thank_you_gold", "en", {})
    assert render("thank_you_gold", None, {}) == render("thank_you_gold", "en", {})


def test_persian_texts_write_numbers_in_persian_digits() -> None:
    assert "۱۵۰" in render("thank_you_referral", "fa", {"bonus_points": 150})


def test_control_characters_in_a_label_do_not_reach_the_sms() -> None:
    text = render("quality_survey", "en", {"employee": "Ann\r\nSTOP"})
    assert "\r" not in text
    assert "\n" not in text


def test_the_surveys_offer_as_many_numbered_options_as_there_are_reason_codes() -> None:
    for language in LANGUAGES:
        digits = "12345" if language != "fa" else "۱۲۳۴۵"
        for kind, reasons in (
            ("winback_survey", WINBACK_REASONS),
            ("why_us_survey", WHY_US_REASONS),
        ):
            text = render(kind, language, {})  # type: ignore[arg-type]
            assert len(reasons) == 5
            assert all(digit in text for digit in digits), (language, kind)


def test_every_survey_tells_how_to_opt_out() -> None:
    words = {"en": "STOP", "ru": "СТОП", "fa": "لغو"}
    for language, word in words.items():
        for kind in ("quality_survey", "winback_survey", "why_us_survey"):
            assert word in render(kind, language, {}), (language, kind)  # type: ignore[arg-type]
