"""The suite's public event contract: one pydantic model per topic.

Every event carries ``event_id`` (the idempotency key) and ``occurred_at`` (UTC). Unknown
fields are ignored on input so producers can add optional fields without breaking anyone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.clock import utc_now
from shared.contracts import topics
from shared.contracts.types import (
    Channel,
    CountryCode,
    CurrencyCode,
    EnteredBy,
    Identifier,
    Language,
    LongText,
    LoyaltyCardNumber,
    Money,
    MoneyTotal,
    NotificationKind,
    NotificationStatus,
    Outcome,
    PaymentPolicy,
    PersonType,
    Phone,
    RiskBand,
    Segment,
    Slug,
    StaffRole,
    Text,
    ThankYouReason,
    Tier,
)

# Namespace for event ids derived from other events (see Event.derived_id).
_DERIVED_NS = uuid.UUID("6f1c7a52-3f0e-4f6b-9d59-2f0b8a6c0e11")


def _check_keys(value: Any, depth: int = 0) -> Any:
    """Reject keys that MongoDB would read as operators or paths, at any depth."""
    if depth > 4:
        raise ValueError("nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                raise ValueError(f"key {key!r} is not allowed (no '$' prefix, no '.')")
            _check_keys(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_keys(item, depth + 1)
    return value


class Event(BaseModel):
    """Fields every event of the suite carries."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    topic: ClassVar[str]
    key_field: ClassVar[str] = "customer_id"

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Unique id of this event; consumers use it as the idempotency key.",
        examples=["0b7e4f0e-8a55-4d6c-9a3c-5d1d0f1f2a10"],
    )
    occurred_at: datetime = Field(
        default_factory=utc_now,
        description="When it happened, ISO 8601 in UTC.",
        examples=["2026-11-23T09:15:00Z"],
    )

    @classmethod
    def from_wire(cls, raw: bytes | str) -> Self:
        """Parse a message value strictly (no "yes" for true, no "5" for 5).

        Built in code, an event gets a fresh id and time; read from a topic it must carry
        its own: a redelivery given a made-up id would be counted twice.
        """
        event = cls.model_validate_json(raw, strict=True)
        missing = [f for f in ("event_id", "occurred_at") if f not in event.model_fields_set]
        if missing:
            raise ValidationError.from_exception_data(
                cls.__name__, [{"type": "missing", "loc": (field,), "input": {}}
                               for field in missing])
        return event

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def key(self) -> bytes:
        """The Kafka message key: the customer id, so one customer's events stay in order."""
        return str(getattr(self, self.key_field)).encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @staticmethod
    def derived_id(source_event_id: uuid.UUID | str, purpose: str) -> uuid.UUID:
        """A deterministic id for an event caused by another one.

        A redelivered input yields the same output id, so a duplicate publish is dropped by
        the consumer's idempotency check instead of being counted twice.
        """
        return uuid.uuid5(_DERIVED_NS, f"{source_event_id}:{purpose}")


class Reason(BaseModel):
    """One machine-readable reason behind a risk score."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str = Field(max_length=64, examples=["famous_name"])
    detail: str = Field(max_length=300, examples=["'Alexander Pushkin' is a famous name"])
    weight: int | None = Field(default=None, description="Points this reason added to the score.")


class PaymentPolicySources(BaseModel):
    """What a published payment policy was combined from."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    risk: PaymentPolicy = Field(description="The fraud score's policy (crm.customer.scored.v1); "
                                            "any until the customer is scored.")
    category: PaymentPolicy = Field(description="The customer category's own rule: "
                                                "prepaid_only for a prepayment category.")


class CustomerRegistered(Event):
    """A new customer was registered by an operator or by self-service."""

    topic: ClassVar[str] = topics.CUSTOMER_REGISTERED

    customer_id: Identifier
    full_name: Text = Field(examples=["Anna Petrova"])
    phone: Phone
    email: str | None = Field(default=None, max_length=254, examples=["anna@example.ru"])
    country: CountryCode = Field(description="The registration country, ISO 3166-1 alpha-2.")
    ip: str | None = Field(default=None, max_length=45, examples=["5.255.255.5"])
    card_holder_name: Text | None = Field(default=None, examples=["ANNA PETROVA"])
    person_type: PersonType
    category: Slug
    source: Text | None = Field(
        default=None, examples=["friend"],
        description="How they found us: a source slug from registry's list (GET /api/sources). "
                    "Other systems may still send free text; consumers accept it.")
    referred_by: Identifier | None = Field(default=None, description="customer_id of the referrer")
    card_number: LoyaltyCardNumber | None = Field(
        default=None, description="Loyalty card number (never a payment card number)")
    language: Language | None = None
    entered_by: EnteredBy
    operator_id: Identifier | None = None


class CustomerUpdated(Event):
    """Some of a customer's fields changed; only the changed ones are present."""

    topic: ClassVar[str] = topics.CUSTOMER_UPDATED

    customer_id: Identifier
    category: Slug | None = None
    person_type: PersonType | None = None
    full_name: Text | None = None
    email: str | None = Field(default=None, max_length=254)
    source: Text | None = Field(
        default=None, examples=["friend"],
        description="A source slug from registry's list (GET /api/sources); free text from "
                    "other systems is still accepted.")
    card_number: LoyaltyCardNumber | None = None
    language: Language | None = None
    changed: list[str] = Field(default_factory=list, description="Names of the changed fields.")
    changed_by: Identifier | None = Field(
        default=None, examples=["op-5b0f3c2a9d8e4f61"],
        description="Who changed it: the signed-in person's operator_id, or client:<role> "
                    "for a machine client.")
    payment_policy: PaymentPolicy | None = Field(
        default=None, examples=["prepaid_only"],
        description="The payment policy billing applies from now on, present when it changed "
                    "(and then named in changed): the stricter of the risk's policy and the "
                    "category's rule. Until a customer's first such update it is any.")
    payment_policy_sources: PaymentPolicySources | None = Field(
        default=None, description="What payment_policy was combined from; present with it.")


class CustomerScored(Event):
    """The fraud-risk score of a customer: at registration, and again when behaviour or a
    profile change moves them to another band."""

    topic: ClassVar[str] = topics.CUSTOMER_SCORED

    customer_id: Identifier
    score: int = Field(ge=0, le=100, examples=[82])
    band: RiskBand
    reasons: list[Reason] = Field(default_factory=list, max_length=50)
    payment_policy: PaymentPolicy
    model_version: str = Field(max_length=40, examples=["rules-2026.11"])
    trigger: Literal["registration", "behaviour", "profile"] | None = Field(
        default=None, examples=["behaviour"],
        description="What made this decision: the registration; behaviour after it "
                    "(purchases, refunds, chargebacks, calls); or a profile change "
                    "(crm.customer.updated.v1). A customer is scored again only when the band "
                    "changes; the latest occurred_at is the decision in force.")


class CustomerSegmented(Event):
    """The behavioural type of a customer changed."""

    topic: ClassVar[str] = topics.CUSTOMER_SEGMENTED

    customer_id: Identifier
    segment: Segment
    evidence: dict[str, Any] = Field(default_factory=dict, examples=[{"purchases": 5}])

    _evidence_keys = field_validator("evidence")(classmethod(lambda cls, v: _check_keys(v)))


class InteractionLogged(Event):
    """An operator talked or wrote to a customer."""

    topic: ClassVar[str] = topics.INTERACTION_LOGGED

    interaction_id: Identifier
    customer_id: Identifier
    channel: Channel
    duration_s: int | None = Field(default=None, ge=0, le=86_400)
    questions: int | None = Field(default=None, ge=0, le=1000)
    outcome: Outcome
    operator_id: Identifier | None = None


class PurchaseRecorded(Event):
    """A customer bought something (a negative amount is a refund)."""

    topic: ClassVar[str] = topics.PURCHASE_RECORDED

    purchase_id: Identifier
    customer_id: Identifier
    amount: Money = Field(examples=["1250.00"])
    currency: CurrencyCode
    discounted: bool = Field(description="Bought on a promotion.")
    payment_method: str = Field(min_length=1, max_length=40, examples=["card"])
    employee_id: Identifier | None = None
    channel: str | None = Field(default=None, max_length=40)
    refund_of: Identifier | None = Field(
        default=None, description="For a refund (negative amount): the purchase it reverses."
    )

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: Any) -> Any:
        if value == 0:
            raise ValueError("amount must not be zero")
        return value


class LoyaltyUpdated(Event):
    """A customer's points balance or value changed."""

    topic: ClassVar[str] = topics.LOYALTY_UPDATED

    customer_id: Identifier
    card_number: LoyaltyCardNumber | None = None
    points_delta: int
    points_balance: int
    value_month: MoneyTotal = Field(description="Value this calendar month (UTC).")
    value_year: MoneyTotal = Field(description="Value this calendar year (UTC).")
    value_lifetime: MoneyTotal
    tier: Tier


class TierChanged(Event):
    """A customer moved between standard, silver and gold."""

    topic: ClassVar[str] = topics.TIER_CHANGED

    customer_id: Identifier
    old_tier: Tier
    new_tier: Tier
    value_percentile: float = Field(
        ge=0, le=100, description="Percentile of trailing-12-month value"
    )


class CustomerLapsed(Event):
    """A customer has not bought for longer than their usual interval."""

    topic: ClassVar[str] = topics.CUSTOMER_LAPSED

    customer_id: Identifier
    last_purchase_at: datetime = Field(description=(
        "The moment the lapse is measured from: the last purchase; for a customer who "
        "never bought (never_bought true) their first contact."))
    expected_interval_days: float = Field(ge=0)
    days_since: float = Field(ge=0)
    reason: Literal["no_purchase", "no_contact"] | None = Field(default=None, description=(
        "no_purchase: still in touch (an interaction within the lapse span) but not "
        "buying; no_contact: neither bought nor got in touch. Absent from older producers."))
    last_contact_at: datetime | None = Field(
        default=None, description="The customer's last interaction, if any.")
    never_bought: bool = Field(default=False, description=(
        "The customer never bought: last_purchase_at is their first contact."))


class ReferralCredited(Event):
    """A referrer was credited for a referred customer's first purchase."""

    topic: ClassVar[str] = topics.REFERRAL_CREDITED
    key_field: ClassVar[str] = "referrer_id"

    referrer_id: Identifier
    referred_id: Identifier
    bonus_points: int = Field(ge=0)


class PointsRedeemed(Event):
    """A customer spent points (POST /api/loyalty/redemptions); published once per
    redemption_id. The same change also goes out as crm.loyalty.updated.v1 with a negative
    points_delta, so every reader of balances follows."""

    topic: ClassVar[str] = topics.POINTS_REDEEMED

    redemption_id: Identifier = Field(
        description="The caller's id of this redemption: the same id again changes nothing.")
    customer_id: Identifier
    points: int = Field(gt=0, description="Points taken off the balance.")
    points_balance: int = Field(ge=0, description="The balance after the redemption.")
    purchase_id: Identifier | None = Field(
        default=None, description="The purchase the points paid for, if any: a refund of it "
                                  "gives the points back.")


class FraudOutcome(Event):
    """What really happened to a scored customer, recorded by an analyst or admin
    (POST /api/scores/{customer_id}/outcome), with the decision in force then; the
    evaluation measures and re-fits the rules on these. A later outcome replaces an earlier
    one. The analyst's note stays in scoring."""

    topic: ClassVar[str] = topics.FRAUD_OUTCOME

    customer_id: Identifier
    outcome: Literal["fraud", "legitimate"]
    recorded_by: Identifier = Field(
        examples=["op-5b0f3c2a9d8e4f61"],
        description="The signed-in person's operator_id, or client:<role> for a machine client.")
    score: int = Field(ge=0, le=100, description="The score in force when it was recorded.")
    band: RiskBand
    model_version: str = Field(max_length=40, examples=["rules-2026.11.3"])


class PointsExpired(Event):
    """A customer's points expired (``points_expiry`` in loyalty's rules: no earning for
    ``after_days``). The same change goes out as crm.loyalty.updated.v1 with a negative
    points_delta, so every reader of balances follows. Once per expiry."""

    topic: ClassVar[str] = topics.POINTS_EXPIRED

    customer_id: Identifier
    points: int = Field(gt=0, description="Points that expired.")
    points_balance: int = Field(ge=0, description="The balance after: 0.")
    expired_at: datetime = Field(description="When they expired: the last earning plus "
                                             "after_days.")


class PointsExpiring(Event):
    """A customer's points will expire soon (``notice_days`` before): notify sends the
    points_expiry SMS. Once per expiry moment; a purchase that earns points moves the moment
    and a new notice follows in time for the new one."""

    topic: ClassVar[str] = topics.POINTS_EXPIRING

    customer_id: Identifier
    points: int = Field(gt=0, description="Points that will expire (the balance now).")
    expires_at: datetime


class NotificationSent(Event):
    """A message was sent, suppressed by a rule, or failed for good."""

    topic: ClassVar[str] = topics.NOTIFICATION_SENT

    notification_id: Identifier
    customer_id: Identifier
    kind: NotificationKind
    channel: str = Field(default="sms", pattern="^sms$")
    status: NotificationStatus
    reason: str | None = Field(default=None, max_length=200)
    cause: str | None = Field(
        default=None, max_length=40, examples=["referral"],
        description="Why the message was sent, for a thank_you: referral, gold, or manual "
                    "(an operator's thank-you, crm.customer.thanked.v1). Absent from older "
                    "producers and other kinds.")
    thank_you_id: Identifier | None = Field(
        default=None, description="For a manual thank-you: the thank_you_id it answers.")


class SurveyAnswered(Event):
    """A customer answered a survey by SMS."""

    topic: ClassVar[str] = topics.SURVEY_ANSWERED

    survey_id: Identifier
    customer_id: Identifier
    kind: NotificationKind
    rating: int = Field(ge=0, le=10)
    employee_id: Identifier | None = None
    comment: LongText | None = None
    reason_code: str | None = Field(default=None, max_length=40)


class OperatorUpdated(Event):
    """A person of the operator directory was created or changed (name, role, disabled)."""

    topic: ClassVar[str] = topics.OPERATOR_UPDATED
    key_field: ClassVar[str] = "operator_id"

    operator_id: Identifier = Field(examples=["op-5b0f3c2a9d8e4f61"])
    display_name: Text = Field(examples=["Anna Petrova"])
    active: bool = Field(description="False once disabled: the person's tokens stop working.")
    display_names: dict[Language, Text] = Field(
        default_factory=dict, examples=[{"ru": "Анна Петрова", "fa": "آنا پتروا"}],
        description="The name written in other scripts, by language; a survey SMS in that "
                    "language names the person so.")
    role: StaffRole | None = None
    session_version: int = Field(
        default=0, ge=0,
        description="Raised when the person is disabled or their role or password changes; "
                    "tokens of an older version are refused.")


class CustomerErased(Event):
    """An admin erased a customer on their request (GDPR art. 17, 152-FZ art. 21).

    Every service deletes or anonymises what it keeps about the customer, keeps anonymous
    aggregates (revenue totals stay right), records a receipt of what it removed, and from
    then on drops any event about this customer it receives. Carries no personal data.
    """

    topic: ClassVar[str] = topics.CUSTOMER_ERASED

    customer_id: Identifier
    requested_by: Identifier = Field(
        description="operator_id of the admin who asked, or the machine client's name.",
        examples=["op-5b0f3c2a9d8e4f61"])
    reason: str | None = Field(
        default=None, max_length=200, description="Why, for the record (no personal data).",
        examples=["data subject's request of 2026-11-27"])


class CustomerThanked(Event):
    """An operator thanked a customer from the caller card (POST
    /api/customers/{id}/thank-yous), with optional bonus points. Notify sends the thank-you
    SMS; loyalty credits the points once per thank_you_id."""

    topic: ClassVar[str] = topics.CUSTOMER_THANKED

    thank_you_id: Identifier = Field(
        description="The id of this thank-you: the same id again changes nothing.")
    customer_id: Identifier
    reason: ThankYouReason = Field(description="Why the customer is thanked.")
    bonus_points: int = Field(default=0, ge=0, description="Points credited with the thanks.")
    operator_id: Identifier | None = Field(
        default=None, description="Who thanked: the signed-in person's operator_id, or "
                                  "client:<role> for a machine client.")
    note: LongText | None = Field(
        default=None, description="The operator's free-text note (may hold personal data: "
                                  "never logged).")


ALL_EVENTS: tuple[type[Event], ...] = (
    CustomerRegistered,
    CustomerUpdated,
    CustomerScored,
    CustomerSegmented,
    InteractionLogged,
    PurchaseRecorded,
    LoyaltyUpdated,
    TierChanged,
    CustomerLapsed,
    ReferralCredited,
    PointsRedeemed,
    NotificationSent,
    SurveyAnswered,
    OperatorUpdated,
    CustomerErased,
    FraudOutcome,
    PointsExpired,
    PointsExpiring,
    CustomerThanked,
)
EVENT_BY_TOPIC: dict[str, type[Event]] = {event.topic: event for event in ALL_EVENTS}
