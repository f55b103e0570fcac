"""Notify's business metrics on ``/metrics``, counted from the events it commits
(``ServiceRuntime.observe_committed``): never from a handler's or a sender round's attempt."""

from __future__ import annotations

from typing import get_args

from prometheus_client import CollectorRegistry, Counter

from services.notify.domain.policy import SuppressReason
from shared.contracts import Event, NotificationSent, SurveyAnswered

#: The suppression reasons a label may carry; anything else is ``other`` (a failure's
#: reason is the gateway's free text, never a label).
SUPPRESS_REASONS = frozenset(get_args(SuppressReason))


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            "crm_notifications_total",
            "Messages decided for good, by kind, status (sent, suppressed, failed) and, when "
            "suppressed, reason (no_phone, opted_out, stale, throttled, other; none else).",
            ["kind", "status", "reason"], registry=registry,
        )
        self.survey_answers = Counter(
            "crm_survey_answers_total", "Survey answers received by SMS, by survey kind.",
            ["kind"], registry=registry,
        )

    def observe(self, event: Event) -> None:
        if isinstance(event, NotificationSent):
            reason = "none"
            if event.status == "suppressed":
                reason = "other"
                if event.reason is not None and event.reason in SUPPRESS_REASONS:
                    reason = event.reason
            self.notifications.labels(kind=event.kind, status=event.status,
                                      reason=reason).inc()
        elif isinstance(event, SurveyAnswered):
            self.survey_answers.labels(kind=event.kind).inc()
