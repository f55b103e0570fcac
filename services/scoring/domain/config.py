"""Scoring rules as data: weights, bands, payment policy, velocity limits, behaviour thresholds.

The rules live in ``services/scoring/rules.yaml`` so an analyst can retune them without a
release; ``load_config`` validates the file strictly, because a typo in a reason code must
fail loudly instead of silently scoring everyone zero for that signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.types import PaymentPolicy, PersonType, RiskBand
from shared.rules_file import load_rules_file

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"

# Every reason code the scorer can emit. A weight for any other code is a configuration error.
REASON_CODES: tuple[str, ...] = (
    "famous_name",
    "placeholder_name",
    "keyboard_mash_name",
    "card_holder_mismatch",
    "card_holder_partial_match",
    "card_holder_match",
    "ip_country_mismatch",
    "ip_country_match",
    "phone_country_mismatch",
    "phone_invalid",
    "profile_minimal",
    "profile_incomplete",
    "disposable_email",
    "free_mail_company",
    "company_verified",
    "velocity_ip",
    "velocity_card_holder",
    "velocity_email_domain",
    "operator_entered",
    # behaviour after registration (domain/rescoring.py)
    "chargeback",
    "refund_pattern",
    "forbidden_payment_method",
    "card_purchase_without_questions",
    "questions_before_buying",
    "common_name",
    "company_detected",
)

VelocityKey = Literal["ip", "card_holder", "email_domain"]


class ConfigError(ValueError):
    """The rules file is missing, unreadable or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bands(_Strict):
    medium_from: int = Field(ge=1, le=100)
    high_from: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.medium_from >= self.high_from:
            raise ValueError("bands.medium_from must be below bands.high_from")
        return self

    def band_for(self, score: int) -> RiskBand:
        if score >= self.high_from:
            return "high"
        if score >= self.medium_from:
            return "medium"
        return "low"


class PaymentPolicyCondition(_Strict):
    """All given fields must hold; an empty condition matches every decision."""

    band: list[RiskBand] | None = None
    company_recognised: bool | None = None
    person_type: PersonType | None = None


class PaymentPolicyRule(_Strict):
    when: PaymentPolicyCondition
    policy: PaymentPolicy


class CardHolderRules(_Strict):
    match_from: float = Field(ge=0, le=100)
    partial_from: float = Field(ge=0, le=100)
    # A company's card carries an employee's name, not the company's: no evidence either way.
    check_companies: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> CardHolderRules:
        if self.partial_from > self.match_from:
            raise ValueError("card_holder.partial_from must not exceed card_holder.match_from")
        return self


class CompletenessRules(_Strict):
    fields: list[Literal["email", "card_holder_name", "source", "language", "ip", "card_number"]]
    incomplete_when_missing: int = Field(ge=1)
    minimal_when_missing: int = Field(ge=1)


class VelocityLimit(_Strict):
    window_seconds: int = Field(gt=0)
    limit: int = Field(ge=1, description="Earlier registrations in the window that fire the reason")


class EmailRules(_Strict):
    disposable_allowlist: list[str] = Field(default_factory=list)
    extra_free_mail: list[str] = Field(default_factory=list)


class BehaviourRules(_Strict):
    bargain_hunter_min_purchases: int = Field(ge=1)
    bargain_hunter_discounted_share: float = Field(gt=0, le=1)
    time_waster_min_interactions: int = Field(ge=1)
    time_waster_min_avg_duration_s: float = Field(ge=0)
    time_waster_min_questions: int = Field(ge=0)
    chatty_min_interactions: int = Field(ge=1)
    chatty_min_avg_duration_s: float = Field(ge=0)
    chatty_min_purchases: int = Field(ge=0)
    interested_min_trial_conversions: int = Field(ge=1)


class RescoringRules(_Strict):
    """What behaviour after registration counts (``domain/rescoring.py``); the reasons'
    weights are in ``weights`` like every other reason's."""

    chargeback_methods: list[str] = Field(
        default_factory=lambda: ["chargeback"],
        description="payment_method values of a negative amount that reverse a payment "
                    "against the merchant (a card chargeback, a reversed transfer).")
    reversible_methods: list[str] = Field(
        default_factory=lambda: ["card", "online"],
        description="Methods the payer can reverse: forbidden by irreversible_only.")
    deferred_methods: list[str] = Field(
        default_factory=lambda: ["invoice", "credit", "installments"],
        description="Methods that pay after delivery: forbidden by prepaid_only.")
    refund_pattern_min_refunds: int = Field(default=3, ge=1)
    refund_pattern_min_share: float = Field(default=0.5, gt=0, le=1,
                                            description="Refunds per purchase.")
    quick_purchase_hours: float = Field(
        default=24, ge=0, description="A first purchase this soon after registration, by a "
                                      "reversible method and with no contact before, counts.")
    questions_before_buying: int = Field(
        default=5, ge=1, description="Questions asked before the first purchase that reassure.")


class ScoringConfig(_Strict):
    """The whole rule set; one instance is one model version."""

    model_version: str = Field(min_length=1, max_length=40)
    base_score: int = Field(ge=0, le=100)
    weights: dict[str, int]
    bands: Bands
    payment_policy: list[PaymentPolicyRule] = Field(min_length=1)
    card_holder: CardHolderRules
    completeness: CompletenessRules
    velocity: dict[VelocityKey, VelocityLimit]
    email: EmailRules = Field(default_factory=EmailRules)
    rescoring: RescoringRules = Field(default_factory=RescoringRules)
    behaviour: BehaviourRules

    @model_validator(mode="after")
    def _known_codes_and_catch_all(self) -> ScoringConfig:
        unknown = sorted(set(self.weights) - set(REASON_CODES))
        if unknown:
            raise ValueError(f"unknown reason codes in weights: {', '.join(unknown)}")
        last = self.payment_policy[-1].when
        if last != PaymentPolicyCondition():
            raise ValueError("the last payment_policy rule must have an empty `when` (catch-all)")
        return self

    def weight(self, code: str) -> int:
        return self.weights.get(code, 0)


def load_config(path: str | Path = DEFAULT_RULES_PATH) -> ScoringConfig:
    """Read and validate a rules file; raise ConfigError naming the file and the problem."""
    return load_rules_file(path, ScoringConfig, ConfigError, "scoring rules")
