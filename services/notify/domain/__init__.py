"""Notify's pure rules: what to send, in which words, when, and what a reply means.

No I/O beyond reading the template files once, no framework imports; every time-dependent
function takes ``now`` (UTC).
"""

from services.notify.domain.causes import (
    notification_id,
    points_expiry_notice_for,
    quality_survey_for_interaction,
    quality_survey_for_purchase,
    thank_you_for_gold,
    thank_you_for_referral,
    thank_you_from_operator,
    why_us_survey_for,
    winback_survey_for,
)
from services.notify.domain.inbound import (
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    WHY_US_REASONS,
    WINBACK_REASONS,
    Inbound,
    OpenSurvey,
    ReplyOutcome,
    handle_reply,
    parse_inbound,
)
from services.notify.domain.local_time import SendingWindow, zone_for_phone
from services.notify.domain.outcomes import (
    AwaitRegistration,
    Decided,
    Delivered,
    GiveUp,
    Queue,
    Send,
    Suppress,
    TryAgain,
    after_attempt,
    before_sending,
    first_decision,
    on_arrival,
)
from services.notify.domain.policy import (
    SURVEY_KINDS,
    Decision,
    NotificationRequest,
    Policy,
    RecipientState,
    decide,
)
from services.notify.domain.sms import is_gsm7, sms_segments
from services.notify.domain.templates import LANGUAGES, TEMPLATE_KINDS, TemplateKind, render

__all__ = [
    "LANGUAGES",
    "OPT_IN_WORDS",
    "OPT_OUT_WORDS",
    "SURVEY_KINDS",
    "TEMPLATE_KINDS",
    "WHY_US_REASONS",
    "WINBACK_REASONS",
    "AwaitRegistration",
    "Decided",
    "Decision",
    "Delivered",
    "GiveUp",
    "Inbound",
    "NotificationRequest",
    "OpenSurvey",
    "Policy",
    "Queue",
    "RecipientState",
    "ReplyOutcome",
    "Send",
    "SendingWindow",
    "Suppress",
    "TemplateKind",
    "TryAgain",
    "after_attempt",
    "before_sending",
    "decide",
    "first_decision",
    "handle_reply",
    "is_gsm7",
    "notification_id",
    "on_arrival",
    "parse_inbound",
    "points_expiry_notice_for",
    "quality_survey_for_interaction",
    "quality_survey_for_purchase",
    "render",
    "sms_segments",
    "thank_you_for_gold",
    "thank_you_for_referral",
    "thank_you_from_operator",
    "why_us_survey_for",
    "winback_survey_for",
    "zone_for_phone",
]
