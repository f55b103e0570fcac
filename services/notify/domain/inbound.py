"""Replies by SMS: opt-outs in three languages, digit answers, and one clarification at most."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.notify.domain.causes import notification_id
from services.notify.domain.policy import Policy
from services.notify.domain.templates import render
from shared.contracts.types import NotificationKind

# The digit of a winback or why-us answer selects the option of the same number (1-based),
# in the order the templates list them.
WINBACK_REASONS: tuple[str, ...] = ("price", "service", "moved", "competitor", "other")
WHY_US_REASONS: tuple[str, ...] = (
    "price",
    "quality",
    "friendly_staff",
    "location",
    "recommendation",
)
REASON_OPTIONS: dict[str, tuple[str, ...]] = {
    "winback_survey": WINBACK_REASONS,
    "why_us_survey": WHY_US_REASONS,
}
RATING_RANGE = (1, 5)
MAX_COMMENT = 1000

# Compared after casefolding, with format characters, spaces and digits' script removed:
# "Стоп!", " stop. " and "لغو ۱۱" all match.
_OPT_OUT_EN = ("stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke", "optout")
_OPT_OUT_RU = ("стоп", "отписаться", "отписка", "отпишите")
_OPT_OUT_FA = ("لغو", "توقف", "لغو11")
OPT_OUT_WORDS = frozenset((*_OPT_OUT_EN, *_OPT_OUT_RU, *_OPT_OUT_FA))
OPT_IN_WORDS = frozenset({"start", "unstop", "subscribe", "старт", "شروع"})

_EDGE_PUNCTUATION = " \t\r\n.,;:!?¡¿()[]{}\"'«»-–—/\\*#،؛؟"
# A number (in any script's decimal digits), not a decimal fraction, then the comment.
_ANSWER = re.compile(r"(\d+)(?![.,٫]\d)[\s.,;:)\-–—/!،]*(.*)", re.DOTALL)

Intent = Literal["opt_out", "opt_in", "answer", "unclear"]


@dataclass(frozen=True)
class Inbound:
    """What a reply says: an opt-out or opt-in, a number with an optional comment, or unclear."""

    intent: Intent
    number: int | None = None
    comment: str | None = None


def _visible(text: str) -> str:
    # Drop direction marks and zero-width joiners, which Persian keyboards insert, and turn
    # control characters into spaces.
    kept = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    return unicodedata.normalize("NFKC", kept)


def _keywords(text: str) -> set[str]:
    """The first word, casefolded with ASCII digits, and that word joined to a number after it,
    so "لغو ۱۱" reads as "لغو11" while "stop 2" still reads as "stop"."""
    folded = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text.casefold())
    words = [w for w in (w.strip(_EDGE_PUNCTUATION) for w in folded.split()) if w]
    if not words:
        return set()
    if len(words) > 1 and words[1].isdigit():
        return {words[0], words[0] + words[1]}
    return {words[0]}


def parse_inbound(text: str) -> Inbound:
    """Read a reply. An opt-out word as the first word wins over anything else in the text.

    Digits may be ASCII, Persian (۰-۹) or Arabic-Indic (٠-٩); whatever follows the number
    is the comment ("5 great service", "۴ خوب بود", "3 долго ждал").
    """
    visible = _visible(text)
    keywords = _keywords(visible)
    if keywords & OPT_OUT_WORDS:
        return Inbound("opt_out")
    if keywords & OPT_IN_WORDS and len(visible.split()) == 1:
        return Inbound("opt_in")
    match = _ANSWER.fullmatch(visible.strip().lstrip(_EDGE_PUNCTUATION))
    if match is None:
        return Inbound("unclear")
    comment = " ".join(match.group(2).split())[:MAX_COMMENT]
    return Inbound("answer", number=int(match.group(1)), comment=comment or None)


@dataclass(frozen=True)
class OpenSurvey:
    """The most recent unanswered survey sent to the number a reply came from."""

    survey_id: str
    kind: NotificationKind
    sent_at: datetime
    language: str | None = None
    employee_id: str | None = None
    clarification_sent: bool = False


ReplyAction = Literal["opt_out", "opt_in", "answer", "clarify", "ignore"]


@dataclass(frozen=True)
class ReplyOutcome:
    """What to do with a reply: store an answer, send a clarification, change consent, or nothing.

    For an answer, ``rating`` is the digit (for winback and why-us surveys, the option
    number) and ``reason_code`` the option it selects. A clarification comes with its own
    deterministic ``clarification_id``, so a redelivered reply cannot send it twice.
    ``note`` says why a reply is ignored.
    """

    action: ReplyAction
    survey_id: str | None = None
    rating: int | None = None
    reason_code: str | None = None
    comment: str | None = None
    clarification: str | None = None
    clarification_id: str | None = None
    note: str | None = None


def handle_reply(
    text: str, survey: OpenSurvey | None, policy: Policy, now: datetime
) -> ReplyOutcome:
    """Turn an inbound SMS into an outcome for the survey it answers.

    An invalid answer earns one polite clarification per survey, in the survey's language;
    a second invalid answer to the same survey is ignored.
    """
    inbound = parse_inbound(text)
    if inbound.intent in ("opt_out", "opt_in"):
        return ReplyOutcome(inbound.intent)
    if survey is None:
        return ReplyOutcome("ignore", note="no_open_survey")
    if now - survey.sent_at > policy.answer_window:
        return ReplyOutcome("ignore", survey_id=survey.survey_id, note="survey_expired")
    options = REASON_OPTIONS.get(survey.kind)
    high = len(options) if options else RATING_RANGE[1]
    number = inbound.number
    if number is None or not RATING_RANGE[0] <= number <= high:
        if survey.clarification_sent:
            return ReplyOutcome("ignore", survey_id=survey.survey_id, note="already_clarified")
        text = render("clarify", survey.language, {"low": RATING_RANGE[0], "high": high})
        return ReplyOutcome(
            "clarify",
            survey_id=survey.survey_id,
            clarification=text,
            clarification_id=notification_id(survey.kind, f"clarify:{survey.survey_id}"),
        )
    return ReplyOutcome(
        "answer",
        survey_id=survey.survey_id,
        rating=number,
        reason_code=options[number - 1] if options else None,
        comment=inbound.comment,
    )
