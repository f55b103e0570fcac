from datetime import time

import pytest

from services.notify.domain import Policy, SendingWindow, decide, zone_for_phone

from .helpers import MOSCOW, NEW_YORK, TEHRAN, recipient, survey, utc

POLICY = Policy()


def test_a_purchase_at_2330_moscow_time_is_surveyed_at_0900_the_next_morning() -> None:
    now = utc(2027, 1, 15, 20, 30)  # 23:30 in Moscow
    decision = decide(survey(now), recipient(MOSCOW), POLICY, now)
    assert decision.status == "scheduled"
    assert decision.send_at == utc(2027, 1, 16, 6, 0)  # 09:00 in Moscow
    assert decision.time_zone == "Europe/Moscow"


def test_a_purchase_at_2330_on_new_years_eve_is_surveyed_on_the_first_of_january() -> None:
    now = utc(2027, 1, 1, 4, 30)  # 23:30 on 31 December in New York
    decision = decide(survey(now), recipient(NEW_YORK), POLICY, now)
    assert decision.send_at == utc(2027, 1, 1, 14, 0)  # 09:00 on 1 January in New York


def test_a_purchase_before_opening_on_tehran_time_waits_for_0900_tehran_half_hour_offset() -> None:
    now = utc(2027, 1, 15, 5, 0)  # 08:30 in Tehran
    decision = decide(survey(now), recipient(TEHRAN), POLICY, now)
    assert decision.send_at == utc(2027, 1, 15, 5, 30)


def test_a_purchase_during_the_day_is_surveyed_at_once() -> None:
    now = utc(2027, 1, 15, 15, 0)  # 10:00 in New York
    decision = decide(survey(now), recipient(NEW_YORK), POLICY, now)
    assert decision.status == "send"
    assert decision.send_at == now


def test_the_same_instant_is_evening_in_moscow_and_tehran_but_midday_in_new_york() -> None:
    now = utc(2027, 1, 15, 18, 0)  # 21:00 Moscow, 21:30 Tehran, 13:00 New York
    assert decide(survey(now), recipient(MOSCOW), POLICY, now).send_at == utc(2027, 1, 16, 6, 0)
    assert decide(survey(now), recipient(TEHRAN), POLICY, now).send_at == utc(2027, 1, 16, 5, 30)
    assert decide(survey(now), recipient(NEW_YORK), POLICY, now).send_at == now


def test_daylight_saving_time_moves_new_yorks_window_against_utc() -> None:
    winter, summer = utc(2027, 1, 15, 1, 30), utc(2027, 7, 15, 1, 30)  # 20:30 EST, 21:30 EDT
    assert decide(survey(winter), recipient(NEW_YORK), POLICY, winter).status == "send"
    assert decide(survey(summer), recipient(NEW_YORK), POLICY, summer).send_at == utc(
        2027, 7, 15, 13, 0
    )


def test_the_window_end_is_exclusive_and_the_start_inclusive() -> None:
    window = SendingWindow(time(9), time(21))
    assert window.allows(time(9, 0))
    assert window.allows(time(20, 59))
    assert not window.allows(time(21, 0))
    assert not window.allows(time(8, 59))


@pytest.mark.parametrize(
    ("local_hour", "local_minute", "allowed"),
    [(22, 0, True), (23, 30, True), (0, 15, True), (6, 59, True), (7, 0, False), (12, 0, False)],
)
def test_a_window_across_midnight_allows_the_night_hours(
    local_hour: int, local_minute: int, allowed: bool
) -> None:
    assert SendingWindow(time(22), time(7)).allows(time(local_hour, local_minute)) is allowed


def test_outside_a_window_across_midnight_the_message_waits_for_its_evening_start() -> None:
    policy = Policy(window=SendingWindow(time(22), time(7)))
    now = utc(2027, 1, 15, 9, 0)  # 12:00 in Moscow
    assert decide(survey(now), recipient(MOSCOW), policy, now).send_at == utc(2027, 1, 15, 19, 0)


def test_a_window_across_midnight_sends_after_midnight_local_time() -> None:
    policy = Policy(window=SendingWindow(time(22), time(7)))
    now = utc(2027, 1, 15, 22, 30)  # 01:30 on the 16th in Moscow
    assert decide(survey(now), recipient(MOSCOW), policy, now).status == "send"


def test_a_scheduled_survey_is_sent_when_decided_again_at_its_time() -> None:
    arrived = utc(2027, 1, 15, 20, 30)
    first = decide(survey(arrived), recipient(MOSCOW), POLICY, arrived)
    assert first.send_at is not None
    again = decide(survey(arrived), recipient(MOSCOW), POLICY, first.send_at)
    assert again.status == "send"
    assert again.send_at == first.send_at


def test_a_russian_mobile_number_with_many_zones_is_read_as_moscow_time() -> None:
    assert zone_for_phone("+79161234567") == "Europe/Moscow"


def test_a_city_number_gets_its_own_zone() -> None:
    assert zone_for_phone("+73831234567") == "Asia/Novosibirsk"


def test_a_number_without_a_known_zone_is_read_as_utc() -> None:
    assert zone_for_phone("+15555550100") == "UTC"
    assert zone_for_phone("not a number") == "UTC"


def test_a_sending_window_is_read_from_its_setting() -> None:
    assert SendingWindow.parse("22:00-07:00") == SendingWindow(time(22), time(7))
    with pytest.raises(ValueError):
        SendingWindow.parse("9 to 21")


def test_a_stored_time_zone_overrides_the_one_read_from_the_number() -> None:
    now = utc(2027, 1, 15, 15, 0)  # 18:00 in Moscow, 10:00 in New York
    state = recipient(NEW_YORK, time_zone="Asia/Vladivostok")  # 01:00 there
    decision = decide(survey(now), state, POLICY, now)
    assert decision.status == "scheduled"
    assert decision.time_zone == "Asia/Vladivostok"
