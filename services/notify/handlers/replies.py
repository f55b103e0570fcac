"""Inbound SMS: answers to the open survey, opt-outs and opt-ins, one clarification.

``on_inbound`` runs inside the caller's transaction and returns what happened plus the
events to publish. An unknown number is ``ignored`` and looks exactly like any other
ignored reply, so the endpoint does not reveal which numbers are customers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.notify import domain
from services.notify.domain import Policy
from services.notify.handlers.notifications import add_message
from services.notify.repository import NotifyRepository, request_document
from shared.auth import PeopleDirectory
from shared.contracts import Event, SurveyAnswered
from shared.database import Document
from shared.periods import Period

Action = Literal["answered", "clarified", "opted_out", "opted_in", "ignored"]
_ACTIONS: dict[str, Action] = {
    "answer": "answered", "clarify": "clarified", "opt_out": "opted_out",
    "opt_in": "opted_in", "ignore": "ignored",
}


@dataclass(frozen=True)
class InboundResult:
    action: Action
    events: list[Event]
    wake_sender: bool = False


async def on_inbound(repo: NotifyRepository, policy: Policy, phone: str | None, text: str,
                     now: datetime) -> InboundResult:
    customer_id = await repo.customer_by_phone(phone) if phone else None
    if customer_id is None:
        return InboundResult("ignored", [])
    survey = await repo.open_survey(customer_id)
    outcome = domain.handle_reply(text, survey, policy, now)
    action = _ACTIONS[outcome.action]
    match outcome.action:
        case "opt_out" | "opt_in":
            await repo.set_consent(customer_id, outcome.action == "opt_out", now)
        case "answer" if survey is not None:
            return InboundResult(action, await _answer(repo, customer_id, survey, outcome, now))
        case "clarify" if survey is not None:
            events = await _clarify(repo, policy, customer_id, survey, outcome, now)
            return InboundResult(action, events, wake_sender=True)
    return InboundResult(action, [])


async def _answer(repo: NotifyRepository, customer_id: str, survey: domain.OpenSurvey,
                  outcome: domain.ReplyOutcome, now: datetime) -> list[Event]:
    assert outcome.rating is not None
    event = SurveyAnswered(
        event_id=Event.derived_id(survey.survey_id, "survey.answered"), occurred_at=now,
        survey_id=survey.survey_id, customer_id=customer_id, kind=survey.kind,
        rating=outcome.rating, employee_id=survey.employee_id, comment=outcome.comment,
        reason_code=outcome.reason_code,
    )
    answer: Document = event.model_dump(mode="python", exclude={"event_id", "occurred_at"})
    await repo.save_answer({"_id": survey.survey_id, **answer, "answered_at": now})
    await repo.count_answer(survey.kind, survey.employee_id, outcome.rating, outcome.reason_code,
                            now)
    await repo.close_survey(customer_id)
    return [event]


async def _clarify(repo: NotifyRepository, policy: Policy, customer_id: str,
                   survey: domain.OpenSurvey, outcome: domain.ReplyOutcome,
                   now: datetime) -> list[Event]:
    """The polite clarification goes through the same rules and sender as any message."""
    assert outcome.clarification_id is not None and outcome.clarification is not None
    await repo.mark_clarified(customer_id)
    if await repo.notification(outcome.clarification_id) is not None:
        return []
    request = domain.NotificationRequest(
        notification_id=outcome.clarification_id, customer_id=customer_id, kind=survey.kind,
        template="clarify", occurred_at=now, employee_id=survey.employee_id,
    )
    document = request_document(request, "pending", now) | {
        "text": outcome.clarification, "clarifies": survey.survey_id}
    recipient = await repo.recipient(customer_id)
    if recipient is None:  # answered a survey, so registered: cannot happen
        return []
    return await add_message(repo, policy, document, recipient, now)


async def summary_for(repo: NotifyRepository, people: PeopleDirectory,
                      period: Period) -> dict[str, Any]:
    """The survey summary of a period (or all time), employees named by the directory."""
    summary = survey_summary(await repo.summary_rows(period))
    names = await people.names(row["employee_id"] for row in summary["employees"])
    for row in summary["employees"]:
        row["display_name"] = names.get(row["employee_id"])
    summary["period"] = period.as_json()
    return summary


def survey_summary(rows: list[Document]) -> dict[str, Any]:
    """The analysts' view of the running aggregates kept in ``summary`` (the rows of a
    period's days, or all), summed across the days."""
    responses: Counter[str] = Counter()
    rating_sums: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        section = row.get("section")
        if section == "employee":
            responses[row["employee_id"]] += int(row.get("responses", 0))
            rating_sums[row["employee_id"]] += int(row.get("rating_sum", 0))
        elif section == "kind":
            sent[row["kind"]] += int(row.get("sent", 0))
            answered[row["kind"]] += int(row.get("answered", 0))
        elif section == "reasons":
            counts.setdefault(row["kind"], Counter()).update(
                {code: int(n) for code, n in (row.get("counts") or {}).items()})
    employees: list[dict[str, Any]] = [
        {"employee_id": employee, "responses": n,
         "average_rating": round(rating_sums[employee] / n, 2) if n else None}
        for employee, n in sorted(responses.items(), key=lambda item: (-item[1], item[0]))]
    rates = {kind: {"sent": sent[kind], "answered": answered[kind],
                    "response_rate": round(answered[kind] / sent[kind], 4)
                    if sent[kind] else None}
             for kind in sorted(set(sent) | set(answered))}
    reasons = {kind: [{"reason": code, "count": n}
                      for code, n in sorted(c.items(), key=lambda item: (-item[1], item[0]))]
               for kind, c in counts.items()}
    return {
        "employees": employees,
        "response_rates": rates,
        "winback_reasons": reasons.get("winback_survey", []),
        "why_us_answers": reasons.get("why_us_survey", []),
    }
