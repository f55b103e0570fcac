"""What becomes of a notification: the explicit outcomes of the policy's decisions, which
the use cases save as they are.

- ``on_arrival``: when the cause arrives: ``AwaitRegistration`` (no registration yet), or
  ``first_decision``'s outcome, ``Suppress`` or ``Queue`` (also when a registration a cause
  waited for arrives).
- ``before_sending``: when the message comes due: ``Send``, ``Queue`` (later after all) or
  ``Suppress`` (consent withdrawn meanwhile, say).
- ``after_attempt``: when the gateway has answered: ``Delivered``, ``TryAgain`` or ``GiveUp``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.notify.domain.inbound import OpenSurvey
from services.notify.domain.policy import (
    Decision,
    NotificationRequest,
    Policy,
    RecipientState,
    SuppressReason,
    decide,
)

#: How much of a gateway's failure reason is kept.
REASON_MAX = 200


@dataclass(frozen=True)
class AwaitRegistration:
    """No registration yet (no number, no language): keep it pending, for the policy's
    ``pending_grace`` at most."""


@dataclass(frozen=True)
class Suppress:
    """Not sent, for ``reason``; announced on crm.notification.sent.v1 at once."""

    reason: SuppressReason


@dataclass(frozen=True)
class Queue:
    """To send at ``send_at`` (UTC): ``due`` now, or ``scheduled`` for later."""

    send_at: datetime
    status: Literal["due", "scheduled"]
    time_zone: str | None
    # The throttle counts this survey from now on (one waiting for morning counts already).
    # Not the why-us survey (counted once sent), nor a clarification (it belongs to the
    # survey it clarifies), nor a message queued again.
    counts_for_throttle: bool = False


@dataclass(frozen=True)
class Send:
    """Due and still allowed: hand it to the gateway now."""


@dataclass(frozen=True)
class Delivered:
    """The gateway took it. A survey (not a clarification) is open for an answer now, and
    counts for the throttle from now if it did not already."""

    attempts: int
    provider_message_id: str | None = None
    survey: OpenSurvey | None = None
    counts_for_throttle: bool = False


@dataclass(frozen=True)
class TryAgain:
    """The gateway failed; try again at ``at``."""

    attempts: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class GiveUp:
    """The gateway failed the last allowed time: the message failed for good."""

    attempts: int
    reason: str


Decided = Suppress | Queue


def on_arrival(request: NotificationRequest, recipient: RecipientState | None, policy: Policy,
               now: datetime) -> AwaitRegistration | Decided:
    """A message's decision when its cause arrives: pending without a registration."""
    if recipient is None:
        return AwaitRegistration()
    return first_decision(request, recipient, policy, now)


def first_decision(request: NotificationRequest, recipient: RecipientState, policy: Policy,
                   now: datetime) -> Decided:
    """A message's first decision, when its cause arrives or, for a cause that waited, when
    its customer's registration does."""
    if request.kind == "why_us_survey" and not request.clarifies:
        # Decided as of the delay: the first purchase's survey, if any, goes first, and the
        # why-us question counts for the throttle only once it is sent. Not its
        # clarification, which goes now, past the throttle, like any other.
        return _decided(decide(request, recipient, policy, now + policy.why_us_delay), now)
    decision = decide(request, _as_the_throttle_sees(request, recipient), policy, now)
    return _decided(decision, now, counts=request.is_survey and not request.clarifies)


def before_sending(request: NotificationRequest, recipient: RecipientState, policy: Policy,
                   now: datetime) -> Send | Decided:
    """A due message decided again: consent may have been withdrawn while it waited."""
    decision = decide(request, _as_the_throttle_sees(request, recipient), policy, now)
    if decision.suppressed or (decision.send_at and decision.send_at > now):
        return _decided(decision, now)
    return Send()


def after_attempt(request: NotificationRequest, recipient: RecipientState, attempts_before: int,
                  sent: bool, provider_message_id: str | None, failure: str | None,
                  send_attempts: int, retry_after: timedelta,
                  now: datetime) -> Delivered | TryAgain | GiveUp:
    """What one more attempt at the gateway leaves: ``send_attempts`` in all, each retry
    ``retry_after`` times the attempts made later."""
    attempts = attempts_before + 1
    if sent:
        if not request.is_survey or request.clarifies:
            return Delivered(attempts, provider_message_id)
        survey = OpenSurvey(survey_id=request.notification_id, kind=request.kind, sent_at=now,
                            language=recipient.language, employee_id=request.employee_id)
        # The why-us survey counts once sent; the others counted when queued.
        counts = recipient.last_survey_id != request.notification_id
        return Delivered(attempts, provider_message_id, survey, counts_for_throttle=counts)
    reason = (failure or "gateway failure")[:REASON_MAX]
    if attempts < send_attempts:
        return TryAgain(attempts, reason, now + retry_after * attempts)
    return GiveUp(attempts, reason)


def _decided(decision: Decision, now: datetime, counts: bool = False) -> Decided:
    if decision.suppressed:
        assert decision.reason is not None
        return Suppress(decision.reason)
    assert decision.send_at is not None
    return Queue(decision.send_at, "due" if decision.send_at <= now else "scheduled",
                 decision.time_zone, counts_for_throttle=counts)


def _as_the_throttle_sees(request: NotificationRequest,
                          recipient: RecipientState) -> RecipientState:
    """A clarification belongs to the survey it clarifies: the throttle does not hold it."""
    if request.clarifies:
        return replace(recipient, last_survey_at=None, last_survey_id=None)
    return recipient
