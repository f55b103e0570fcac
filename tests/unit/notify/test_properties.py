from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain import Policy, SendingWindow, decide, parse_inbound

from .helpers import MOSCOW, NEW_YORK, TEHRAN, recipient, survey

PHONES = {MOSCOW: "Europe/Moscow", TEHRAN: "Asia/Tehran", NEW_YORK: "America/New_York"}
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
clock = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(now=instants, phone=st.sampled_from(sorted(PHONES)), start=clock, end=clock)
def test_a_message_is_never_sent_before_now_nor_outside_the_local_window(
    now: datetime, phone: str, start: time, end: time
) -> None:
    window = SendingWindow(start, end)
    decision = decide(survey(now), recipient(phone), Policy(window=window), now)
    assert decision.send_at is not None
    assert now <= decision.send_at < now + timedelta(days=1, hours=2)
    assert window.allows(decision.send_at.astimezone(ZoneInfo(PHONES[phone])).time())


@given(st.text(max_size=2000))
def test_any_reply_is_read_without_error_and_comments_stay_bounded(text: str) -> None:
    inbound = parse_inbound(text)
    assert inbound.intent in {"opt_out", "opt_in", "answer", "unclear"}
    assert inbound.comment is None or len(inbound.comment) <= 1000
