"""The caller card: what an operator sees when a known number rings.

The card is stored as one plain document per customer (see ``card_updates``) and read
through ``caller_card``, which joins it with the customer's category.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.categories import Category
from services.registry.domain.policy import payment_policy_text
from shared.contracts.types import (
    Channel,
    Language,
    NotificationKind,
    Outcome,
    PaymentPolicy,
    PersonType,
    RiskBand,
    Segment,
    Tier,
)

_READ = ConfigDict(extra="ignore")


class RiskReason(BaseModel):
    model_config = _READ

    code: str
    detail: str


class Risk(BaseModel):
    """The fraud score from scoring, as ``crm.customer.scored.v1`` gave it."""

    model_config = _READ

    score: int
    band: RiskBand
    reasons: list[RiskReason] = Field(default_factory=list)
    payment_policy: PaymentPolicy


class Loyalty(BaseModel):
    """Points, tier and value from loyalty; money as decimal strings."""

    model_config = _READ

    tier: Tier = "standard"
    points_balance: int = 0
    value_month: str = "0"
    value_year: str = "0"
    value_lifetime: str = "0"
    value_percentile: float | None = None


class LapsedDetail(BaseModel):
    model_config = _READ

    last_purchase_at: str
    expected_interval_days: float
    days_since: float


class PurchaseLine(BaseModel):
    model_config = _READ

    purchase_id: str
    amount: str
    currency: str
    discounted: bool
    payment_method: str
    occurred_at: str
    refund_of: str | None = None


class InteractionLine(BaseModel):
    model_config = _READ

    interaction_id: str
    channel: Channel
    outcome: Outcome
    duration_s: int | None = None
    questions: int | None = None
    occurred_at: str


class RedemptionLine(BaseModel):
    """Points spent (``crm.points.redeemed.v1``), with the balance they left."""

    model_config = _READ

    redemption_id: str
    points: int
    points_balance: int
    purchase_id: str | None = None
    occurred_at: str


class SurveyAnswer(BaseModel):
    model_config = _READ

    survey_id: str
    kind: NotificationKind
    rating: int
    comment: str | None = None
    reason_code: str | None = None
    employee_id: str | None = None
    occurred_at: str


class NoteLine(BaseModel):
    model_config = _READ

    note_id: str
    text: str
    by: str
    by_name: str
    at: str


class ThankYouLine(BaseModel):
    """A thank-you: an operator's (reason, points, who, note) or notify's automatic one
    (``automatic``; reason referral or gold). ``sms``: what became of its SMS."""

    model_config = _READ

    thank_you_id: str
    reason: str
    automatic: bool = False
    bonus_points: int | None = None
    by: str | None = None
    by_name: str | None = None
    note: str | None = None
    sms: str | None = None
    occurred_at: str


class CallerCard(BaseModel):
    """``GET /api/callers/{phone}``: every card field of DESIGN, plus display helpers.

    ``risk`` is null until scoring has answered; ``payment_policy`` is the stricter of the
    risk policy and the category's own rule, and ``payment_policy_text`` says it in words.
    """

    model_config = _READ

    customer_id: str
    full_name: str
    phone: str
    category: str
    person_type: PersonType
    segment: Segment | None = None
    risk: Risk | None = None
    loyalty: Loyalty = Field(default_factory=Loyalty)
    lapsed: bool = False
    last_purchases: list[PurchaseLine] = Field(default_factory=list)
    last_interactions: list[InteractionLine] = Field(default_factory=list)
    last_redemptions: list[RedemptionLine] = Field(default_factory=list)
    last_survey: SurveyAnswer | None = None
    notes: list[NoteLine] = Field(default_factory=list, description="The newest notes")
    thank_yous: list[ThankYouLine] = Field(
        default_factory=list, description="The newest thank-yous, manual and automatic")

    language: Language | None = None
    card_number: str | None = None
    registered_at: str | None = None
    lapsed_detail: LapsedDetail | None = None
    category_title: str | None = None
    category_colour: str | None = None
    discount_percent: str | None = None
    payment_policy: PaymentPolicy = "any"
    payment_policy_text: str = ""


def caller_card(
    document: Mapping[str, Any], category: Category | None, language: Language = "en"
) -> CallerCard:
    """The card an operator sees, from the stored document and the customer's category.

    ``category`` is None when it has been deleted meanwhile; the slug is shown as it is.
    ``language`` picks the category title and the payment-policy words.
    """
    card = CallerCard.model_validate(document)
    risk_policy: PaymentPolicy = card.risk.payment_policy if card.risk else "any"
    policy = category.payment_policy(risk_policy) if category else risk_policy
    extras: dict[str, Any] = {
        "payment_policy": policy,
        "payment_policy_text": payment_policy_text(policy, language),
    }
    if category is not None:
        extras["category_title"] = category.titles.in_language(language)
        extras["category_colour"] = category.colour
        extras["discount_percent"] = str(category.discount_percent)
    return card.model_copy(update=extras)


#: Who the caller is and what colleagues wrote about them: not on an analyst's card.
NOT_FOR_ANALYSTS = frozenset({"full_name", "phone", "card_number", "notes"})
#: Reasons whose detail ends with the famous or placeholder name matched, "(…)": that name
#: is, near enough, the caller's own.
_NAMED_REASONS = frozenset({"famous_name", "placeholder_name", "common_name"})
_TRAILING_NAME = re.compile(r"\s*\([^()]*\)\s*$")


def analyst_card(card: CallerCard) -> dict[str, Any]:
    """The card for someone who sees no personal data (an analyst): the customer by id
    with their classification, risk, loyalty and activity, but no name, phone, card
    number, notes, survey comment, thank-you note or matched famous name."""
    view = card.model_dump(mode="json", exclude=set(NOT_FOR_ANALYSTS))
    if view.get("last_survey"):
        view["last_survey"] = {k: v for k, v in view["last_survey"].items() if k != "comment"}
    view["thank_yous"] = [{k: v for k, v in entry.items() if k != "note"}
                          for entry in view.get("thank_yous") or []]
    if view.get("risk"):
        view["risk"]["reasons"] = [
            {**reason, "detail": _TRAILING_NAME.sub("", reason["detail"])}
            if reason["code"] in _NAMED_REASONS else reason
            for reason in view["risk"]["reasons"]]
    return view
