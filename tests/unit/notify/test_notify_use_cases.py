"""Notify's use cases end to end in memory: cause -> decision -> sender -> outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notify import handlers
from services.notify.domain import Policy
from services.notify.gateways.sms import GatewayResult, OutboundSms
from services.notify.handlers.replies import survey_summary
from shared.contracts import CustomerLapsed, InteractionLogged
from shared.periods import Period
from tests.unit.notify.helpers import MOSCOW, utc
from tests.unit.notify.wiring import Clock, Notify, purchase

NOON_MOSCOW = utc(2026, 11, 23, 9)  # 12:00 in Moscow


@pytest.fixture
def notify() -> Notify:
    return Notify(Clock(NOON_MOSCOW))


async def registered_customer(notify: Notify, customer_id: str = "c-1",
                              phone: str = MOSCOW) -> None:
    await notify.register(customer_id, phone)


async def test_a_purchase_leads_to_one_quality_survey_in_the_customers_language(
        notify: Notify) -> None:
    await registered_customer(notify)
    await notify.employ("e-ivan", "Ivan Petrov", ru="Иван Петров")
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["kind"] == "quality_survey" and message["to"] == MOSCOW
    assert message["text"].startswith("Сотрудник Иван Петров:")
    assert "Olga" not in message["text"]
    [sent] = notify.sent()
    assert (sent.status, sent.kind, sent.customer_id) == ("sent", "quality_survey", "c-1")


async def test_the_survey_names_the_employee_by_display_name_without_a_name_in_the_script(
        notify: Notify) -> None:
    await notify.register("c-1", MOSCOW, language="en")
    await notify.employ("e-ivan", "Ivan Petrov", ru="Иван Петров")
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert "the service of Ivan Petrov today" in message["text"]


async def test_a_long_name_is_shortened_to_the_first_name_to_keep_one_segment(
        notify: Notify) -> None:
    await registered_customer(notify)
    await notify.employ("e-ivan", "Konstantin Konstantinopolsky",
                        ru="Константин Константинопольский")
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["text"].startswith("Сотрудник Константин:")


async def test_an_employee_the_directory_does_not_know_is_not_named(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["text"].startswith("Оцените наше обслуживание")
    assert "e-ivan" not in message["text"]


async def test_a_redelivered_purchase_with_a_new_event_id_creates_nothing_new(
        notify: Notify) -> None:
    await registered_customer(notify)
    first = purchase("c-1", "p-1", notify.clock())
    await notify.consume(handlers.on_purchase, first)
    await notify.sender.send_due()
    again = first.model_copy(update={"event_id": purchase("c-1", "p-1", notify.clock()).event_id})
    assert await notify.consume(handlers.on_purchase, again) == []
    assert await notify.sender.send_due() == 0
    assert len(await notify.outbox()) == 1
    assert len(notify.sent()) == 1


async def test_a_purchase_at_2330_local_time_is_surveyed_at_0900_local(notify: Notify) -> None:
    await registered_customer(notify)
    notify.clock.now = utc(2026, 11, 23, 20, 30)  # 23:30 in Moscow
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    [notification] = await notify.repo.notifications.find({"kind": "quality_survey"}).to_list()
    assert notification["status"] == "scheduled"
    assert notification["send_at"] == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 09:00 Moscow
    notify.clock.now = utc(2026, 11, 24, 5, 59)
    await notify.sender.send_due()
    assert await notify.outbox(kind=None) == []
    notify.clock.now = utc(2026, 11, 24, 6, 0)
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["kind"] == "quality_survey"
    assert [s.status for s in notify.sent()] == ["sent"]


async def test_stop_suppresses_later_messages_with_reason_opted_out(notify: Notify) -> None:
    await registered_customer(notify)
    assert await notify.reply(MOSCOW, "СТОП") == "opted_out"
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert await notify.outbox(kind=None) == []
    [suppressed] = notify.sent()
    assert (suppressed.status, suppressed.reason) == ("suppressed", "opted_out")


async def test_stop_after_scheduling_suppresses_the_message_waiting_for_morning(
        notify: Notify) -> None:
    await registered_customer(notify)
    notify.clock.now = utc(2026, 11, 23, 20, 30)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    assert await notify.reply(MOSCOW, "stop") == "opted_out"
    notify.clock.now = utc(2026, 11, 24, 6, 0)
    await notify.sender.send_due()
    assert await notify.outbox() == []
    assert [(s.status, s.reason) for s in notify.sent()] == [("suppressed", "opted_out")]


async def test_a_second_survey_within_30_days_is_throttled(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    notify.clock.advance(days=10)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-2", notify.clock()))
    notify.clock.advance(days=21)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-3", notify.clock()))
    await notify.sender.send_due()
    assert [(s.status, s.reason) for s in notify.sent()] == [
        ("sent", None), ("suppressed", "throttled"), ("sent", None)]
    assert len(await notify.outbox()) == 2


async def test_an_answer_is_published_and_counted_in_the_summary(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert await notify.reply("+74951234567", "5 отлично") == "answered"
    [answer] = notify.answers()
    assert (answer.rating, answer.employee_id, answer.comment) == (5, "e-ivan", "отлично")
    assert answer.survey_id == notify.sent()[0].notification_id
    summary = survey_summary(await notify.repo.summary_rows())
    assert summary["employees"] == [
        {"employee_id": "e-ivan", "responses": 1, "average_rating": 5.0}]
    assert summary["response_rates"]["quality_survey"] == {
        "sent": 1, "answered": 1, "response_rate": 1.0}
    assert await notify.reply(MOSCOW, "4") == "ignored"  # answered already
    assert len(notify.answers()) == 1


async def test_the_summary_of_a_period_counts_the_answers_of_its_days(notify: Notify) -> None:
    await notify.register("c-1", MOSCOW)
    await notify.register("c-2", "+74951234568")
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert await notify.reply(MOSCOW, "5") == "answered"
    first_day = notify.clock().date()
    notify.clock.advance(days=40)  # past the survey interval: another day, another survey
    await notify.consume(handlers.on_purchase, purchase("c-2", "p-2", notify.clock()))
    await notify.sender.send_due()
    assert await notify.reply("+74951234568", "3") == "answered"

    async def employees(period: Period | None) -> Any:
        return survey_summary(await notify.repo.summary_rows(period))["employees"]

    assert await employees(None) == [
        {"employee_id": "e-ivan", "responses": 2, "average_rating": 4.0}]
    assert await employees(Period.of(first_day, first_day)) == [
        {"employee_id": "e-ivan", "responses": 1, "average_rating": 5.0}]
    assert await employees(Period.of(first_day + timedelta(days=1), None)) == [
        {"employee_id": "e-ivan", "responses": 1, "average_rating": 3.0}]
    later = survey_summary(await notify.repo.summary_rows(Period.of(
        first_day + timedelta(days=1), None)))
    assert later["response_rates"]["quality_survey"] == {
        "sent": 1, "answered": 1, "response_rate": 1.0}


async def test_an_unclear_answer_gets_one_clarification_only(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert await notify.reply(MOSCOW, "не знаю") == "clarified"
    await notify.sender.send_due()
    assert await notify.reply(MOSCOW, "хм") == "ignored"
    await notify.sender.send_due()
    texts = [m["text"] for m in await notify.outbox()]  # a clarification has the survey's kind
    assert len(texts) == 2
    assert any(text.startswith("Не удалось понять ответ") for text in texts)
    assert await notify.reply(MOSCOW, "3") == "answered"


async def test_a_reply_from_an_unknown_number_is_ignored(notify: Notify) -> None:
    assert await notify.reply("+79990000000", "5") == "ignored"
    assert notify.published == []


async def test_a_purchase_before_the_registration_waits_for_it(notify: Notify) -> None:
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert await notify.outbox() == []
    await registered_customer(notify)
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["kind"] == "quality_survey"


async def test_a_message_waiting_too_long_for_a_registration_is_suppressed_as_no_phone(
        notify: Notify) -> None:
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    notify.clock.advance(days=2)
    notify.published.extend(await handlers.expire_pending(notify.repo, notify.policy,
                                                          notify.clock()))
    assert [(s.status, s.reason) for s in notify.sent()] == [("suppressed", "no_phone")]


async def test_the_why_us_survey_gives_way_to_the_first_purchases_survey(
        notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    notify.clock.advance(hours=2)
    await notify.sender.send_due()
    assert sorted((s.kind, s.status, s.reason or "") for s in notify.sent(kind=None)) == [
        ("quality_survey", "sent", ""), ("why_us_survey", "suppressed", "throttled")]


async def test_a_customer_without_a_purchase_is_asked_why_us_after_the_delay(
        notify: Notify) -> None:
    await registered_customer(notify)
    await notify.sender.send_due()
    assert await notify.outbox(kind=None) == []
    notify.clock.advance(hours=1)
    await notify.sender.send_due()
    [message] = await notify.outbox(kind=None)
    assert message["kind"] == "why_us_survey"
    assert await notify.reply(MOSCOW, "2") == "answered"
    summary = survey_summary(await notify.repo.summary_rows())
    assert summary["why_us_answers"] == [{"reason": "quality", "count": 1}]


async def test_win_back_reasons_are_counted(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.consume(handlers.on_lapsed, CustomerLapsed(
        customer_id="c-1", last_purchase_at=utc(2026, 8, 1), expected_interval_days=20,
        days_since=114))
    await notify.sender.send_due()
    assert await notify.reply(MOSCOW, "1 дорого") == "answered"
    summary = survey_summary(await notify.repo.summary_rows())
    assert summary["winback_reasons"] == [{"reason": "price", "count": 1}]
    assert notify.answers()[0].reason_code == "price"


async def test_an_interaction_survey_names_the_operator(notify: Notify) -> None:
    await registered_customer(notify)
    await notify.employ("op-7", "Maria Ivanova", ru="Мария")
    await notify.consume(handlers.on_interaction, InteractionLogged(
        interaction_id="i-1", customer_id="c-1", channel="call", outcome="info",
        operator_id="op-7"))
    await notify.sender.send_due()
    [message] = await notify.outbox()
    assert message["text"].startswith("Сотрудник Мария:")


class FlakyGateway:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[OutboundSms] = []

    async def send(self, message: OutboundSms) -> GatewayResult:
        self.calls.append(message)
        if len(self.calls) <= self.failures:
            return GatewayResult("failed", reason="http 503 after 4 attempts")
        return GatewayResult("sent")


async def test_a_failed_send_is_retried_later_and_then_sent() -> None:
    gateway = FlakyGateway(failures=1)
    notify = Notify(Clock(NOON_MOSCOW), gateway=gateway)
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    await notify.sender.send_due()
    assert notify.sent() == []
    notify.clock.advance(minutes=5)
    await notify.sender.send_due()
    assert [s.status for s in notify.sent()] == ["sent"]
    assert [c.notification_id for c in gateway.calls] == [notify.sent()[0].notification_id] * 2


async def test_a_send_failing_every_attempt_is_marked_failed_not_lost() -> None:
    gateway = FlakyGateway(failures=100)
    notify = Notify(Clock(NOON_MOSCOW), gateway=gateway, policy=Policy())
    await registered_customer(notify)
    await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    for _ in range(10):
        await notify.sender.send_due()
        notify.clock.advance(minutes=10)
    [failed] = notify.sent()
    assert failed.status == "failed" and "503" in (failed.reason or "")
    assert [c.notification_id for c in gateway.calls].count(failed.notification_id) == (
        notify.sender.send_attempts)
    assert await notify.repo.due.find_one({"_id": failed.notification_id}) is None


async def survey_sent(notify: Notify, kind: str) -> None:
    """A registered customer sent one survey of ``kind``, open for an answer."""
    await registered_customer(notify)
    if kind == "quality_survey":
        await notify.consume(handlers.on_purchase, purchase("c-1", "p-1", notify.clock()))
    elif kind == "winback_survey":
        await notify.consume(handlers.on_lapsed, CustomerLapsed(
            customer_id="c-1", last_purchase_at=utc(2026, 8, 1), expected_interval_days=20,
            days_since=114))
    else:  # the why-us survey: no purchase, asked after its delay
        notify.clock.advance(hours=1)
    await notify.sender.send_due()
    assert [m["kind"] for m in await notify.outbox(kind=None)] == [kind]


async def clarification(notify: Notify) -> dict[str, Any]:
    [document] = [d for d in await notify.repo.notifications.find({}).to_list()
                  if d.get("clarifies")]
    return document


def announced(notify: Notify, document: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s.status, s.reason) for s in notify.sent(kind=None)
            if s.notification_id == document["_id"]]


@pytest.mark.parametrize("kind", ["quality_survey", "winback_survey", "why_us_survey"])
async def test_a_clarification_goes_now_and_unthrottled_whatever_the_survey_it_clarifies(
        notify: Notify, kind: str) -> None:
    await survey_sent(notify, kind)
    notify.clock.advance(minutes=10)
    assert await notify.reply(MOSCOW, "не знаю") == "clarified"
    document = await clarification(notify)
    assert announced(notify, document) == []  # not suppressed (as throttled, say)
    assert (document["status"], document["send_at"]) == ("due", notify.clock())
    await notify.sender.send_due()
    [_, clarifying] = await notify.outbox(kind=None)
    assert clarifying["text"].startswith("Не удалось понять ответ")
    assert clarifying["_id"] == document["_id"]
    assert announced(notify, document) == [("sent", None)]
    assert await notify.reply(MOSCOW, "2") == "answered"


@pytest.mark.parametrize("kind", ["quality_survey", "winback_survey", "why_us_survey"])
async def test_a_clarification_asked_at_night_waits_for_the_morning_whatever_the_survey(
        notify: Notify, kind: str) -> None:
    await survey_sent(notify, kind)
    notify.clock.now = utc(2026, 11, 23, 20, 30)  # 23:30 in Moscow
    assert await notify.reply(MOSCOW, "не знаю") == "clarified"
    document = await clarification(notify)
    assert announced(notify, document) == []
    morning = utc(2026, 11, 24, 6, 0)  # 09:00 in Moscow
    assert (document["status"], document["send_at"]) == ("scheduled", morning)
    notify.clock.now = morning
    await notify.sender.send_due()
    [_, clarifying] = await notify.outbox(kind=None)
    assert clarifying["_id"] == document["_id"]
    assert announced(notify, document) == [("sent", None)]
