"""Keeping the caller-card document current from events; pure functions, no I/O.

A card document is a plain dict, one per customer, stored as is in MongoDB::

    {"customer_id", "full_name", "phone", "category", "person_type", "language",
     "card_number", "registered_at", "segment", "risk", "loyalty", "lapsed",
     "lapsed_detail", "last_purchases", "last_interactions", "last_redemptions", "last_survey",
     "published_payment_policy", "versions": {section: occurred_at}, "revision": int}

Events of one customer come from several topics, so they can arrive out of order and more
than once. Each section remembers the ``occurred_at`` of the event that last set it
(``versions``) and an older event leaves it alone; list entries are deduplicated by their
id. Every function returns a new document and never mutates its input; ``revision`` goes
up by one only when something changed, so the repository can skip no-op writes and use
it for a compare-and-swap update. A function given ``None`` (an event about a customer
whose registration has not been applied yet) starts from a blank card.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from services.registry.domain.policy import stricter_policy
from shared.contracts.events import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerUpdated,
    InteractionLogged,
    LoyaltyUpdated,
    PaymentPolicySources,
    PointsRedeemed,
    PurchaseRecorded,
    SurveyAnswered,
    TierChanged,
)
from shared.contracts.types import PaymentPolicy

Card = dict[str, Any]
MAX_LAST_PURCHASES = 5
MAX_LAST_INTERACTIONS = 5
MAX_LAST_REDEMPTIONS = 5
_PROFILE_FIELDS = ("full_name", "phone", "category", "person_type", "language", "card_number")
_UPDATABLE_FIELDS = ("full_name", "category", "person_type", "language", "card_number")


def blank_card(customer_id: str) -> Card:
    """A card with no profile yet: what events that overtook the registration fill in."""
    return {
        "customer_id": customer_id,
        "segment": None,
        "risk": None,
        "loyalty": {
            "tier": "standard",
            "points_balance": 0,
            "value_month": "0",
            "value_year": "0",
            "value_lifetime": "0",
            "value_percentile": None,
        },
        "lapsed": False,
        "lapsed_detail": None,
        "last_purchases": [],
        "last_interactions": [],
        "last_redemptions": [],
        "last_survey": None,
        "versions": {},
        "revision": 0,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _start(document: Mapping[str, Any] | None, customer_id: str) -> Card:
    return copy.deepcopy(dict(document)) if document is not None else blank_card(customer_id)


def _not_older(card: Card, section: str, occurred_at: datetime) -> bool:
    seen = card["versions"].get(section)
    return seen is None or occurred_at >= _when(seen)


def _set(card: Card, section: str, occurred_at: datetime, **values: Any) -> None:
    card.update(values)
    card["versions"][section] = _iso(occurred_at)


def _finish(before: Mapping[str, Any] | None, card: Card) -> Card:
    if before is not None and {**card, "revision": None} == {**before, "revision": None}:
        return card
    card["revision"] = card.get("revision", 0) + 1
    return card


def _apply(
    document: Mapping[str, Any] | None, customer_id: str, change: Callable[[Card], None]
) -> Card:
    card = _start(document, customer_id)
    change(card)
    return _finish(document, card)


def card_from_registration(
    event: CustomerRegistered, document: Mapping[str, Any] | None = None
) -> Card:
    """The card of a newly registered customer (merged into ``document`` if events overtook it)."""

    def change(card: Card) -> None:
        for name in _PROFILE_FIELDS:
            if _not_older(card, name, event.occurred_at):
                _set(card, name, event.occurred_at, **{name: getattr(event, name)})
        card["registered_at"] = _iso(event.occurred_at)

    return _apply(document, event.customer_id, change)


def apply_customer_updated(document: Mapping[str, Any] | None, event: CustomerUpdated) -> Card:
    """Changed profile fields (category, name, ...); each field keeps its own version."""
    named = set(event.changed) or set(event.model_fields_set)

    def change(card: Card) -> None:
        for name in _UPDATABLE_FIELDS:
            if name in named and _not_older(card, name, event.occurred_at):
                _set(card, name, event.occurred_at, **{name: getattr(event, name)})

    return _apply(document, event.customer_id, change)


def apply_scored(document: Mapping[str, Any] | None, event: CustomerScored) -> Card:
    """The risk section: score, band, reasons and payment policy."""

    def change(card: Card) -> None:
        if _not_older(card, "risk", event.occurred_at):
            risk = event.model_dump(
                mode="json", include={"score", "band", "reasons", "payment_policy"}
            )
            risk["reasons"] = [
                {"code": reason["code"], "detail": reason["detail"]} for reason in risk["reasons"]
            ]
            _set(card, "risk", event.occurred_at, risk=risk)

    return _apply(document, event.customer_id, change)


def apply_segmented(document: Mapping[str, Any] | None, event: CustomerSegmented) -> Card:
    """The behavioural segment (chatty, bargain_hunter, ...)."""

    def change(card: Card) -> None:
        if _not_older(card, "segment", event.occurred_at):
            _set(card, "segment", event.occurred_at, segment=event.segment)

    return _apply(document, event.customer_id, change)


def apply_loyalty_updated(document: Mapping[str, Any] | None, event: LoyaltyUpdated) -> Card:
    """Points and value; the tier too, unless a newer tier change is already applied."""

    def change(card: Card) -> None:
        loyalty = card["loyalty"]
        if _not_older(card, "loyalty", event.occurred_at):
            figures = event.model_dump(
                mode="json",
                include={"points_balance", "value_month", "value_year", "value_lifetime"},
            )
            _set(card, "loyalty", event.occurred_at, loyalty={**loyalty, **figures})
        if _not_older(card, "tier", event.occurred_at):
            _set(card, "tier", event.occurred_at, loyalty={**card["loyalty"], "tier": event.tier})

    return _apply(document, event.customer_id, change)


def apply_tier_changed(document: Mapping[str, Any] | None, event: TierChanged) -> Card:
    """The loyalty tier and the value percentile that put the customer there."""

    def change(card: Card) -> None:
        if _not_older(card, "tier", event.occurred_at):
            loyalty = {
                **card["loyalty"],
                "tier": event.new_tier,
                "value_percentile": event.value_percentile,
            }
            _set(card, "tier", event.occurred_at, loyalty=loyalty)

    return _apply(document, event.customer_id, change)


def apply_lapsed(document: Mapping[str, Any] | None, event: CustomerLapsed) -> Card:
    """Flag the customer as lapsed; a later purchase clears the flag (see apply_purchase)."""

    def change(card: Card) -> None:
        if _not_older(card, "lapsed", event.occurred_at):
            detail = {
                "last_purchase_at": _iso(event.last_purchase_at),
                "expected_interval_days": event.expected_interval_days,
                "days_since": event.days_since,
            }
            _set(card, "lapsed", event.occurred_at, lapsed=True, lapsed_detail=detail)

    return _apply(document, event.customer_id, change)


def apply_survey_answered(document: Mapping[str, Any] | None, event: SurveyAnswered) -> Card:
    """The newest survey answer."""

    def change(card: Card) -> None:
        if _not_older(card, "survey", event.occurred_at):
            answer = event.model_dump(
                mode="json",
                include={"survey_id", "kind", "rating", "comment", "reason_code", "employee_id"},
            )
            answer["occurred_at"] = _iso(event.occurred_at)
            _set(card, "survey", event.occurred_at, last_survey=answer)

    return _apply(document, event.customer_id, change)


def _newest_first(
    entries: list[dict[str, Any]], entry: dict[str, Any], id_field: str, limit: int
) -> list[dict[str, Any]]:
    kept = [item for item in entries if item[id_field] != entry[id_field]]
    kept.append(entry)
    kept.sort(key=lambda item: _when(item["occurred_at"]), reverse=True)
    return kept[:limit]


def apply_interaction(document: Mapping[str, Any] | None, event: InteractionLogged) -> Card:
    """Add to the last interactions (five, newest first; a redelivery is not added twice)."""
    entry = event.model_dump(
        mode="json", include={"interaction_id", "channel", "outcome", "duration_s", "questions"}
    )
    entry["occurred_at"] = _iso(event.occurred_at)

    def change(card: Card) -> None:
        card["last_interactions"] = _newest_first(
            card["last_interactions"], entry, "interaction_id", MAX_LAST_INTERACTIONS
        )

    return _apply(document, event.customer_id, change)


def apply_purchase(document: Mapping[str, Any] | None, event: PurchaseRecorded) -> Card:
    """Add to the last purchases (five, newest first, deduplicated by purchase_id).

    A purchase made after a lapse was detected means the customer is back: not lapsed.
    """
    entry = event.model_dump(
        mode="json", include={"purchase_id", "amount", "currency", "discounted", "payment_method"}
    )
    if event.refund_of is not None:
        entry["refund_of"] = event.refund_of
    entry["occurred_at"] = _iso(event.occurred_at)

    def change(card: Card) -> None:
        card["last_purchases"] = _newest_first(
            card["last_purchases"], entry, "purchase_id", MAX_LAST_PURCHASES
        )
        # Recorded even when not lapsed: a lapse detected before this purchase but
        # delivered after it must not flag a customer who has already come back.
        if _not_older(card, "lapsed", event.occurred_at):
            _set(card, "lapsed", event.occurred_at, lapsed=False, lapsed_detail=None)

    return _apply(document, event.customer_id, change)


def apply_points_redeemed(document: Mapping[str, Any] | None, event: PointsRedeemed) -> Card:
    """Add to the last redemptions (five, newest first, deduplicated by redemption_id);
    the balance itself follows crm.loyalty.updated.v1."""
    entry = event.model_dump(mode="json", include={"redemption_id", "points", "points_balance"})
    if event.purchase_id is not None:
        entry["purchase_id"] = event.purchase_id
    entry["occurred_at"] = _iso(event.occurred_at)

    def change(card: Card) -> None:
        card["last_redemptions"] = _newest_first(
            card.get("last_redemptions", []), entry, "redemption_id", MAX_LAST_REDEMPTIONS)

    return _apply(document, event.customer_id, change)


class PaymentPolicyChange(NamedTuple):
    """A payment policy for billing that differs from the one published last."""

    policy: PaymentPolicy
    sources: PaymentPolicySources


def payment_policy_change(card: Mapping[str, Any], category_policy: PaymentPolicy
                          ) -> PaymentPolicyChange | None:
    """The policy billing should apply now, when it differs from the last one published.

    It is the stricter of the risk's policy (``any`` until scored) and the category's own
    rule; a customer nothing was published for has ``any``, so an ordinary customer costs
    no event.
    """
    risk: PaymentPolicy = (card.get("risk") or {}).get("payment_policy", "any")
    combined = stricter_policy(risk, category_policy)
    if combined == card.get("published_payment_policy", "any"):
        return None
    return PaymentPolicyChange(combined, PaymentPolicySources(risk=risk, category=category_policy))


def record_published_policy(document: Mapping[str, Any], policy: PaymentPolicy) -> Card:
    """The card remembering the payment policy last published for billing."""

    def change(card: Card) -> None:
        card["published_payment_policy"] = policy

    return _apply(document, str(document["customer_id"]), change)
