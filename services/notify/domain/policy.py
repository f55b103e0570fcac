"""Notify's policy, who may be sent what and when, and the decision it makes before every
send: consent, staleness, throttle, quiet hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from services.notify.domain.local_time import SendingWindow, zone_for_phone, zone_info
from services.notify.domain.templates import TemplateKind
from shared.contracts.types import NotificationKind

SURVEY_KINDS: frozenset[str] = frozenset({"quality_survey", "winback_survey", "why_us_survey"})
SuppressReason = Literal["no_phone", "opted_out", "stale", "throttled"]


@dataclass(frozen=True)
class Policy:
    """Who may be sent what, when: the sending window, the throttle and the timings
    (``CRM_*`` settings: ``NotifySettings.policy()``); the defaults are the product's."""

    window: SendingWindow = field(default_factory=SendingWindow)
    # At most one survey per person in this period, whatever its kind. Thank-yous are not
    # surveys: they ask nothing, so they are never held back by it. Zero: no throttle.
    survey_throttle: timedelta = timedelta(days=30)
    # A cause older than this (a backlog replayed after an outage) is no longer worth a message.
    max_delay: timedelta = timedelta(days=7)
    # A reply later than this after the survey is not an answer to it.
    answer_window: timedelta = timedelta(days=7)
    # The why-us survey is decided as of this long after the registration: a survey sent
    # meanwhile (the first purchase's) goes first and takes its place under the throttle.
    why_us_delay: timedelta = timedelta(hours=1)
    # A cause for a customer not registered yet waits this long for the registration, then
    # is suppressed with reason no_phone.
    pending_grace: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class RecipientState:
    """What notify knows about a customer when it decides."""

    phone: str | None
    language: str | None = None
    opted_out: bool = False
    # The last survey sent or scheduled, so a survey waiting for morning counts already.
    last_survey_at: datetime | None = None
    last_survey_id: str | None = None
    # zone_for_phone(phone), stored at registration to skip parsing the number on every send.
    time_zone: str | None = None


@dataclass(frozen=True)
class NotificationRequest:
    """A message some event calls for, before the rules have had their say."""

    notification_id: str
    customer_id: str
    kind: NotificationKind
    template: TemplateKind
    occurred_at: datetime
    context: Mapping[str, str] = field(default_factory=dict)
    employee_id: str | None = None
    # Why a thank-you is sent (referral, gold, manual) and, for a manual one, its id: both
    # go out on crm.notification.sent.v1 so the caller card can list the thank-you.
    cause: str | None = None
    thank_you_id: str | None = None
    # The survey a clarification clarifies (a clarification's own text is stored with it).
    clarifies: str | None = None

    @property
    def is_survey(self) -> bool:
        return self.kind in SURVEY_KINDS


@dataclass(frozen=True)
class Decision:
    """Send at ``send_at`` (now or later, UTC), or suppressed with ``reason``."""

    status: Literal["send", "scheduled", "suppressed"]
    send_at: datetime | None = None
    reason: SuppressReason | None = None
    time_zone: str | None = None

    @property
    def suppressed(self) -> bool:
        return self.status == "suppressed"


def decide(
    request: NotificationRequest, recipient: RecipientState, policy: Policy, now: datetime
) -> Decision:
    """Apply the rules in order: phone known, consent, staleness, throttle, quiet hours.

    Call it when the cause arrives and again when a scheduled message comes due: consent
    may have been withdrawn meanwhile, and the throttle ignores the request's own survey.
    """
    now = now.astimezone(UTC)
    if not recipient.phone:
        return Decision("suppressed", reason="no_phone")
    if recipient.opted_out:
        return Decision("suppressed", reason="opted_out")
    if now - request.occurred_at > policy.max_delay:
        return Decision("suppressed", reason="stale")
    zone = recipient.time_zone or zone_for_phone(recipient.phone)
    send_at = policy.window.next_send_time(now, zone_info(zone))
    if request.is_survey and _throttled(request, recipient, policy, send_at):
        return Decision("suppressed", reason="throttled", time_zone=zone)
    status: Literal["send", "scheduled"] = "send" if send_at == now else "scheduled"
    return Decision(status, send_at=send_at, time_zone=zone)


def _throttled(
    request: NotificationRequest, recipient: RecipientState, policy: Policy, send_at: datetime
) -> bool:
    last = recipient.last_survey_at
    if (last is None or recipient.last_survey_id == request.notification_id
            or policy.survey_throttle <= timedelta(0)):
        # Off means off: another replica may record a survey a moment after this round's
        # clock was read, which a zero-length window would count as "too soon".
        return False
    return send_at - last < policy.survey_throttle
