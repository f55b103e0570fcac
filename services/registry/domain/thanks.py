"""Thank-yous on the caller card: an operator's (with reason, points and who) and notify's
automatic ones (a referral, reaching gold). Pure functions, no I/O.

The card keeps the newest ``THANK_YOUS_ON_CARD``, one entry per ``thank_you_id`` (for an
automatic one, the notification's id), newest first; a redelivered event changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from services.registry.domain.card_updates import blank_card
from shared.contracts.events import CustomerThanked, NotificationSent

THANK_YOUS_ON_CARD = 10
#: notify's causes of an automatic thank-you, which the card shows as its reason.
AUTOMATIC_CAUSES = frozenset({"referral", "gold"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _unchanged(document: Mapping[str, Any] | None, customer_id: str) -> dict[str, Any]:
    return copy.deepcopy(dict(document)) if document is not None else blank_card(customer_id)


def _with_entry(document: Mapping[str, Any] | None, customer_id: str,
                entry: dict[str, Any]) -> dict[str, Any]:
    """The card with ``entry`` merged into its thank-yous (fields already there win)."""
    card = _unchanged(document, customer_id)
    entries = list(card.get("thank_yous") or [])
    old = next((e for e in entries if e["thank_you_id"] == entry["thank_you_id"]), None)
    merged = {**entry, **{k: v for k, v in (old or {}).items() if v is not None}}
    if old == merged:
        return card
    kept = [e for e in entries if e["thank_you_id"] != entry["thank_you_id"]] + [merged]
    kept.sort(key=lambda e: e["occurred_at"], reverse=True)
    card["thank_yous"] = kept[:THANK_YOUS_ON_CARD]
    card["revision"] = card.get("revision", 0) + 1
    return card


def thank_you_entry(event: CustomerThanked, by_name: str | None = None) -> dict[str, Any]:
    """An operator's thank-you as the card lists it."""
    return {"thank_you_id": event.thank_you_id, "reason": event.reason, "automatic": False,
            "bonus_points": event.bonus_points, "by": event.operator_id, "by_name": by_name,
            "note": event.note, "occurred_at": _iso(event.occurred_at)}


def apply_thanked(document: Mapping[str, Any] | None, event: CustomerThanked,
                  by_name: str | None = None) -> dict[str, Any]:
    """Add an operator's thank-you (once per thank_you_id)."""
    return _with_entry(document, event.customer_id, thank_you_entry(event, by_name))


def apply_notification_sent(document: Mapping[str, Any] | None,
                            event: NotificationSent) -> dict[str, Any]:
    """A thank-you SMS notify sent: an automatic one is listed with its cause as reason;
    for an operator's, the entry learns the SMS's fate (sent, suppressed, failed). Other
    messages leave the card as it is."""
    if event.kind != "thank_you":
        return _unchanged(document, event.customer_id)
    if event.cause == "manual" and event.thank_you_id:
        if not any(e["thank_you_id"] == event.thank_you_id
                   for e in (document or {}).get("thank_yous") or []):
            return _unchanged(document, event.customer_id)
        card = _unchanged(document, event.customer_id)
        for entry in card["thank_yous"]:
            if entry["thank_you_id"] == event.thank_you_id and entry.get("sms") != event.status:
                entry["sms"] = event.status
                card["revision"] = card.get("revision", 0) + 1
        return card
    if event.cause not in AUTOMATIC_CAUSES or event.status != "sent":
        return _unchanged(document, event.customer_id)
    entry = {"thank_you_id": event.notification_id, "reason": event.cause, "automatic": True,
             "bonus_points": None, "by": None, "by_name": None, "note": None,
             "sms": event.status, "occurred_at": _iso(event.occurred_at)}
    return _with_entry(document, event.customer_id, entry)


class Repeat(Enum):
    """What a thank-you is against one already stored under its thank_you_id."""

    NEW = "new"  # none stored: record it
    SAME = "same"  # the same thank-you again: answer the first one, record nothing
    CLASH = "clash"  # the id names another thank-you: refuse


#: What must agree for a thank-you to be the same as the one stored under its id.
SAME_FIELDS = ("customer_id", "reason", "bonus_points", "note")


def repeat_of(earlier: CustomerThanked | None, event: CustomerThanked) -> Repeat:
    """Whether ``event`` is new, a repeat of ``earlier`` or clashes with it."""
    if earlier is None:
        return Repeat.NEW
    if any(getattr(earlier, name) != getattr(event, name) for name in SAME_FIELDS):
        return Repeat.CLASH
    return Repeat.SAME
