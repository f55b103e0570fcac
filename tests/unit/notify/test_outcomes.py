from dataclasses import replace
from datetime import timedelta

from services.notify.domain import (
    AwaitRegistration,
    Delivered,
    GiveUp,
    Policy,
    Queue,
    Send,
    Suppress,
    TryAgain,
    after_attempt,
    before_sending,
    first_decision,
    on_arrival,
)

from .helpers import recipient, survey, utc

POLICY = Policy()
NOON_MOSCOW = utc(2027, 1, 15, 9, 0)
NIGHT_MOSCOW = utc(2027, 1, 15, 20, 30)


def test_a_cause_before_the_registration_waits_for_it() -> None:
    assert on_arrival(survey(NOON_MOSCOW), None, POLICY, NOON_MOSCOW) == AwaitRegistration()


def test_a_survey_at_noon_is_queued_due_now_and_counts_for_the_throttle() -> None:
    outcome = first_decision(survey(NOON_MOSCOW), recipient(), POLICY, NOON_MOSCOW)
    assert outcome == Queue(NOON_MOSCOW, "due", "Europe/Moscow", counts_for_throttle=True)


def test_a_thank_you_does_not_count_for_the_throttle() -> None:
    request = survey(NOON_MOSCOW, "thank_you:x", kind="thank_you")
    outcome = first_decision(request, recipient(), POLICY, NOON_MOSCOW)
    assert isinstance(outcome, Queue) and not outcome.counts_for_throttle


def test_the_why_us_survey_waits_its_delay_and_counts_only_once_sent() -> None:
    request = survey(NOON_MOSCOW, "why_us_survey:c-1", kind="why_us_survey")
    outcome = first_decision(request, recipient(), POLICY, NOON_MOSCOW)
    assert outcome == Queue(NOON_MOSCOW + POLICY.why_us_delay, "scheduled", "Europe/Moscow")


def test_a_clarification_is_not_held_by_the_throttle_nor_counted() -> None:
    request = replace(survey(NOON_MOSCOW, "quality_survey:clarify"), clarifies="quality_survey:p-1")
    just_surveyed = recipient(last_survey_at=NOON_MOSCOW, last_survey_id="quality_survey:p-1")
    outcome = first_decision(request, just_surveyed, POLICY, NOON_MOSCOW)
    assert outcome == Queue(NOON_MOSCOW, "due", "Europe/Moscow", counts_for_throttle=False)


def test_a_clarification_of_a_why_us_survey_is_neither_delayed_nor_throttled() -> None:
    request = replace(survey(NOON_MOSCOW, "why_us_survey:clarify", kind="why_us_survey"),
                      clarifies="why_us_survey:c-1")
    just_surveyed = recipient(last_survey_at=NOON_MOSCOW, last_survey_id="why_us_survey:c-1")
    now = Queue(NOON_MOSCOW, "due", "Europe/Moscow", counts_for_throttle=False)
    assert first_decision(request, just_surveyed, POLICY, NOON_MOSCOW) == now
    unthrottled = replace(POLICY, survey_throttle=timedelta(0))
    assert first_decision(request, just_surveyed, unthrottled, NOON_MOSCOW) == now


def test_an_opt_out_while_waiting_suppresses_the_message_before_sending() -> None:
    outcome = before_sending(survey(NOON_MOSCOW), recipient(opted_out=True), POLICY, NOON_MOSCOW)
    assert outcome == Suppress("opted_out")


def test_a_due_message_still_allowed_is_sent() -> None:
    assert before_sending(survey(NOON_MOSCOW), recipient(), POLICY, NOON_MOSCOW) == Send()


def test_a_message_due_at_night_is_queued_again_for_the_morning() -> None:
    outcome = before_sending(survey(NIGHT_MOSCOW), recipient(), POLICY, NIGHT_MOSCOW)
    assert isinstance(outcome, Queue) and outcome.status == "scheduled"
    assert not outcome.counts_for_throttle


def test_a_delivered_survey_opens_for_an_answer() -> None:
    outcome = after_attempt(survey(NOON_MOSCOW), recipient(), 0, sent=True,
                            provider_message_id="m-1", failure=None, send_attempts=5,
                            retry_after=timedelta(seconds=30), now=NOON_MOSCOW)
    assert isinstance(outcome, Delivered)
    assert outcome.attempts == 1 and outcome.provider_message_id == "m-1"
    assert outcome.survey is not None and outcome.survey.survey_id == "quality_survey:p-1"
    assert outcome.counts_for_throttle


def test_a_failed_send_is_tried_again_later_each_time_then_given_up() -> None:
    def attempt(before: int) -> object:
        return after_attempt(survey(NOON_MOSCOW), recipient(), before, sent=False,
                             provider_message_id=None, failure="http 503", send_attempts=3,
                             retry_after=timedelta(seconds=30), now=NOON_MOSCOW)

    assert attempt(0) == TryAgain(1, "http 503", NOON_MOSCOW + timedelta(seconds=30))
    assert attempt(1) == TryAgain(2, "http 503", NOON_MOSCOW + timedelta(seconds=60))
    assert attempt(2) == GiveUp(3, "http 503")
