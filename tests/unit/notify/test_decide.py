from datetime import timedelta

from services.notify.domain import Policy, decide

from .helpers import MOSCOW, recipient, survey, utc

POLICY = Policy()
NOON_MOSCOW = utc(2027, 1, 15, 9, 0)


def test_an_opted_out_customer_gets_nothing_even_at_noon() -> None:
    decision = decide(survey(NOON_MOSCOW), recipient(opted_out=True), POLICY, NOON_MOSCOW)
    assert decision.suppressed
    assert decision.reason == "opted_out"
    assert decision.send_at is None


def test_a_thank_you_is_also_suppressed_after_an_opt_out() -> None:
    request = survey(NOON_MOSCOW, "thank_you:x", kind="thank_you")
    assert decide(request, recipient(opted_out=True), POLICY, NOON_MOSCOW).reason == "opted_out"


def test_an_opt_out_while_a_survey_waits_for_morning_suppresses_it() -> None:
    night = utc(2027, 1, 15, 20, 30)
    first = decide(survey(night), recipient(), POLICY, night)
    assert first.status == "scheduled"
    assert first.send_at is not None
    later = decide(survey(night), recipient(opted_out=True), POLICY, first.send_at)
    assert later.reason == "opted_out"


def test_a_customer_without_a_phone_number_is_suppressed_as_no_phone() -> None:
    assert decide(survey(NOON_MOSCOW), recipient(None), POLICY, NOON_MOSCOW).reason == "no_phone"


def test_a_second_survey_within_30_days_is_throttled() -> None:
    state = recipient(last_survey_at=NOON_MOSCOW - timedelta(days=29), last_survey_id="s-old")
    assert decide(survey(NOON_MOSCOW), state, POLICY, NOON_MOSCOW).reason == "throttled"


def test_a_survey_31_days_after_the_last_one_is_sent() -> None:
    state = recipient(last_survey_at=NOON_MOSCOW - timedelta(days=31), last_survey_id="s-old")
    assert decide(survey(NOON_MOSCOW), state, POLICY, NOON_MOSCOW).status == "send"


def test_the_throttle_applies_across_survey_kinds() -> None:
    state = recipient(last_survey_at=NOON_MOSCOW - timedelta(days=3), last_survey_id="s-old")
    request = survey(NOON_MOSCOW, "winback_survey:x", kind="winback_survey")
    assert decide(request, state, POLICY, NOON_MOSCOW).reason == "throttled"


def test_a_survey_waiting_for_morning_throttles_a_new_one_tonight() -> None:
    state = recipient(last_survey_at=utc(2027, 1, 16, 6, 0), last_survey_id="s-morning")
    tonight = utc(2027, 1, 15, 20, 45)
    assert decide(survey(tonight, "s-new"), state, POLICY, tonight).reason == "throttled"


def test_a_scheduled_survey_is_not_throttled_by_itself() -> None:
    state = recipient(last_survey_at=utc(2027, 1, 16, 6, 0), last_survey_id="s-morning")
    morning = utc(2027, 1, 16, 6, 0)
    request = survey(utc(2027, 1, 15, 20, 30), "s-morning")
    assert decide(request, state, POLICY, morning).status == "send"


def test_thank_yous_are_not_throttled_by_a_recent_survey() -> None:
    state = recipient(last_survey_at=NOON_MOSCOW - timedelta(days=1), last_survey_id="s-old")
    request = survey(NOON_MOSCOW, "thank_you:x", kind="thank_you")
    assert decide(request, state, POLICY, NOON_MOSCOW).status == "send"


def test_the_throttle_period_is_configurable() -> None:
    state = recipient(last_survey_at=NOON_MOSCOW - timedelta(days=8), last_survey_id="s-old")
    weekly = Policy(survey_throttle=timedelta(days=7))
    assert decide(survey(NOON_MOSCOW), state, weekly, NOON_MOSCOW).status == "send"


def test_a_zero_throttle_is_off_even_for_a_survey_recorded_a_moment_later() -> None:
    # Another replica recorded a survey just after this round read its clock.
    state = recipient(last_survey_at=NOON_MOSCOW + timedelta(milliseconds=40),
                      last_survey_id="s-other")
    off = Policy(survey_throttle=timedelta(0))
    assert decide(survey(NOON_MOSCOW), state, off, NOON_MOSCOW).status == "send"
    assert decide(survey(NOON_MOSCOW), state, POLICY, NOON_MOSCOW).reason == "throttled"


def test_a_purchase_replayed_from_a_backlog_more_than_a_week_old_is_stale() -> None:
    old = NOON_MOSCOW - timedelta(days=8)
    assert decide(survey(old), recipient(MOSCOW), POLICY, NOON_MOSCOW).reason == "stale"
