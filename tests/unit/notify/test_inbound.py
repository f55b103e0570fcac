import pytest

from services.notify.domain import parse_inbound


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "UNSUBSCRIBE",
        "end",
        "Quit!",
        "cancel",
        "STOPALL",
        "revoke",
        "optout",
        "Stop texting me",
        "stop 2",
    ],
)
def test_english_opt_out_words_opt_out(text: str) -> None:
    assert parse_inbound(text).intent == "opt_out"


@pytest.mark.parametrize("text", ["СТОП", "стоп", "Стоп!", "ОТПИСАТЬСЯ", "отписка", "  Отписка.  "])
def test_russian_opt_out_words_opt_out(text: str) -> None:
    assert parse_inbound(text).intent == "opt_out"


@pytest.mark.parametrize(
    "text", ["لغو", "توقف", "لغو۱۱", "لغو١١", "لغو11", "لغو ۱۱", "\u200fلغو\u200f", "لغو."]
)
def test_persian_opt_out_words_opt_out(text: str) -> None:
    assert parse_inbound(text).intent == "opt_out"


def test_a_word_that_only_starts_like_stop_is_not_an_opt_out() -> None:
    assert parse_inbound("stopped by yesterday").intent == "unclear"


@pytest.mark.parametrize("text", ["START", "старт", "شروع"])
def test_start_opts_back_in(text: str) -> None:
    assert parse_inbound(text).intent == "opt_in"


@pytest.mark.parametrize(("text", "number"), [("5", 5), ("۴", 4), ("٣", 3), ("۱۰", 10)])
def test_ratings_are_read_in_latin_persian_and_arabic_indic_digits(text: str, number: int) -> None:
    inbound = parse_inbound(text)
    assert inbound.intent == "answer"
    assert inbound.number == number
    assert inbound.comment is None


@pytest.mark.parametrize(
    ("text", "number", "comment"),
    [
        ("5 great service", 5, "great service"),
        ("۴ خوب بود", 4, "خوب بود"),
        ("3 долго ждал", 3, "долго ждал"),
        ("٢ - slow", 2, "slow"),
        ("5, Anna was lovely!", 5, "Anna was lovely!"),
        ("4)\nok", 4, "ok"),
    ],
)
def test_a_comment_after_the_digit_is_kept(text: str, number: int, comment: str) -> None:
    inbound = parse_inbound(text)
    assert (inbound.intent, inbound.number, inbound.comment) == ("answer", number, comment)


@pytest.mark.parametrize("text", ["", "   ", "five", "great", "4.5", "хорошо 5"])
def test_text_without_a_leading_number_is_unclear(text: str) -> None:
    assert parse_inbound(text).intent == "unclear"
