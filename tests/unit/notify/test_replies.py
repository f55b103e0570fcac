from datetime import timedelta

from services.notify.domain import OpenSurvey, Policy, handle_reply

from .helpers import utc

NOW = utc(2027, 1, 15, 12, 0)
POLICY = Policy()


def open_survey(kind: str = "quality_survey", **changes: object) -> OpenSurvey:
    fields: dict[str, object] = {
        "survey_id": "s-1",
        "kind": kind,
        "sent_at": NOW - timedelta(hours=1),
        "language": "en",
        "employee_id": "e-42",
    }
    return OpenSurvey(**(fields | changes))  # type: ignore[arg-type]


def test_a_digit_answers_a_quality_survey_with_its_comment() -> None:
    outcome = handle_reply("5 great service", open_survey(), POLICY, NOW)
    assert outcome.action == "answer"
    assert (outcome.survey_id, outcome.rating, outcome.comment) == ("s-1", 5, "great service")
    assert outcome.reason_code is None


def test_a_winback_digit_selects_its_reason() -> None:
    outcome = handle_reply("3", open_survey("winback_survey"), POLICY, NOW)
    assert (outcome.rating, outcome.reason_code) == (3, "moved")


def test_a_persian_why_us_digit_selects_its_reason() -> None:
    outcome = handle_reply(
        "۳ کارکنان خوب", open_survey("why_us_survey", language="fa"), POLICY, NOW
    )
    assert (outcome.rating, outcome.reason_code, outcome.comment) == (
        3,
        "friendly_staff",
        "کارکنان خوب",
    )


def test_an_out_of_range_rating_gets_a_polite_clarification_in_the_survey_language() -> None:
    outcome = handle_reply("9", open_survey(language="ru"), POLICY, NOW)
    assert outcome.action == "clarify"
    assert outcome.clarification is not None
    assert "от 1 до 5" in outcome.clarification


def test_a_second_invalid_answer_to_the_same_survey_gets_no_second_clarification() -> None:
    outcome = handle_reply("great", open_survey(clarification_sent=True), POLICY, NOW)
    assert outcome.action == "ignore"
    assert outcome.note == "already_clarified"
    assert outcome.clarification is None


def test_a_valid_answer_after_the_clarification_is_still_accepted() -> None:
    outcome = handle_reply("4", open_survey(clarification_sent=True), POLICY, NOW)
    assert (outcome.action, outcome.rating) == ("answer", 4)


def test_stop_opts_out_whether_or_not_a_survey_is_open() -> None:
    assert handle_reply("STOP", open_survey(), POLICY, NOW).action == "opt_out"
    assert handle_reply("СТОП", None, POLICY, NOW).action == "opt_out"


def test_a_reply_with_no_open_survey_is_ignored() -> None:
    outcome = handle_reply("5", None, POLICY, NOW)
    assert (outcome.action, outcome.note) == ("ignore", "no_open_survey")


def test_a_reply_after_the_answer_window_is_ignored() -> None:
    old = open_survey(sent_at=NOW - timedelta(days=8))
    assert handle_reply("5", old, POLICY, NOW).note == "survey_expired"


def test_a_redelivered_invalid_reply_gets_the_same_clarification_id() -> None:
    first = handle_reply("nonsense", open_survey(), POLICY, NOW)
    again = handle_reply("more nonsense", open_survey(), POLICY, NOW)
    assert first.clarification_id is not None
    assert first.clarification_id == again.clarification_id
    assert first.clarification_id.startswith("quality_survey:")
