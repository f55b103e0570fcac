"""From signals to a decision: reasons with weights, score, band and payment policy.

``decide_from_signals`` reads nothing but its two arguments, so replaying stored signals
with the same rules gives the same decision, and replaying them with new rules shows what
a rule change would have done.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain.config import REASON_CODES, PaymentPolicyCondition, ScoringConfig
from services.scoring.domain.rescoring import behaviour_reasons
from services.scoring.domain.signals import Signals, VelocityCounts, extract_signals
from shared.contracts import CustomerRegistered, CustomerScored, Reason
from shared.contracts.types import PaymentPolicy, PersonType, RiskBand

Trigger = Literal["registration", "behaviour", "profile"]
_VELOCITY_WHAT = {
    "ip": "from the same IP address",
    "card_holder": "with the same card-holder name",
    "email_domain": "with the same email domain",
}
_FIELD_WORDS = {
    "email": "email",
    "card_holder_name": "card holder",
    "source": "source",
    "language": "language",
    "ip": "IP address",
    "card_number": "loyalty card",
}


class ScoreDecision(BaseModel):
    """The risk decision for one registration, with the signals it was made from."""

    model_config = ConfigDict(frozen=True)

    score: int = Field(ge=0, le=100)
    band: RiskBand
    reasons: list[Reason]
    payment_policy: PaymentPolicy
    model_version: str
    company_recognised: bool
    signals: dict[str, Any]

    def to_event(self, customer_id: str, event_id: uuid.UUID | None = None,
                 trigger: Trigger = "registration") -> CustomerScored:
        """The public event; pass a derived event id so a redelivery republishes the same id."""
        fields = {"event_id": event_id} if event_id else {}
        return CustomerScored(
            **fields,
            customer_id=customer_id,
            score=self.score,
            band=self.band,
            reasons=self.reasons,
            payment_policy=self.payment_policy,
            model_version=self.model_version,
            trigger=trigger,
        )


def _window(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _company_detected(s: Signals) -> bool:
    """Registered as an individual, but a legal form in the name and a corporate domain."""
    return (
        s["person_type"] == "individual"
        and bool(s.get("legal_forms"))
        and bool(s.get("corporate_domain"))
    )


def _company_recognised(s: Signals) -> bool:
    return (s["person_type"] == "company" and bool(s.get("corporate_domain"))) or (
        _company_detected(s)
    )


def _named_as_company(s: Signals) -> bool:
    """Registered as a company, or under a company's name ("ООО Вектор", "Acme GmbH")."""
    return (
        s["person_type"] == "company"
        or s.get("legal_form_kind") == "organisation"
        or _company_detected(s)
    )


def _name_reason(s: Signals) -> tuple[str, str] | None:
    category = s.get("famous_category")
    if category == "placeholder":
        return "placeholder_name", f"registered name is a placeholder ({s['famous_name']})"
    if category == "common":
        name = s["famous_name"]
        return "common_name", f"registered name is a common real name, also a placeholder ({name})"
    if category and s.get("legal_form_kind") == "organisation":
        category = None  # companies are named after poets and cartoon characters: ООО «Чебурашка»
    if category == "fictional":
        return "famous_name", f"registered name is a fictional character ({s['famous_name']})"
    if category:
        return "famous_name", f"registered name matches a famous {category} ({s['famous_name']})"
    if s.get("keyboard_mash"):
        return "keyboard_mash_name", "registered name looks like random keyboard typing"
    return None


def _card_holder_reason(s: Signals, config: ScoringConfig) -> tuple[str, str] | None:
    similarity = s.get("card_holder_similarity")
    if similarity is None:
        return None
    if _named_as_company(s) and not config.card_holder.check_companies:
        return None
    if similarity >= config.card_holder.match_from:
        return "card_holder_match", "card-holder name matches the registered name"
    if similarity >= config.card_holder.partial_from:
        return (
            "card_holder_partial_match",
            f"card-holder name only partly matches the registered name ({similarity:.0f}%)",
        )
    return (
        "card_holder_mismatch",
        f"card-holder name does not match the registered name ({similarity:.0f}% similar)",
    )


def _country_reasons(s: Signals) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    country = s["registration_country"]
    ip_country = s.get("ip_country")
    if ip_country == country:
        found.append(("ip_country_match", f"IP address is in the registration country ({country})"))
    elif ip_country:
        detail = f"IP address is in {ip_country}, registration country {country}"
        found.append(("ip_country_mismatch", detail))
    phone_country = s.get("phone_country")
    if not s.get("phone_valid"):
        found.append(("phone_invalid", "phone number is not a valid number of any country"))
    elif phone_country and phone_country != country:
        found.append(
            (
                "phone_country_mismatch",
                f"phone number is from {phone_country}, registration country {country}",
            )
        )
    return found


def _profile_reasons(s: Signals, config: ScoringConfig) -> list[tuple[str, str]]:
    rules = config.completeness
    missing = [f for f in rules.fields if f in s.get("missing_fields", [])]
    words = ", ".join(_FIELD_WORDS[f] for f in missing)
    if len(missing) >= rules.minimal_when_missing:
        return [("profile_minimal", f"only the minimum was filled in: no {words}")]
    if len(missing) >= rules.incomplete_when_missing:
        return [("profile_incomplete", f"profile incomplete: no {words}")]
    return []


def _email_reasons(s: Signals) -> list[tuple[str, str]]:
    kind = s.get("email_kind")
    if kind == "disposable":
        return [("disposable_email", "email is on a disposable (throw-away) domain")]
    if _company_detected(s):
        forms, domain = " ".join(s["legal_forms"]), s["corporate_domain"]
        detail = (f"registered as an individual, but the name carries the legal form {forms} "
                  f"and the email is on the corporate domain {domain}: scored as a company")
        return [("company_detected", detail)]
    if not _named_as_company(s):
        return []
    if kind == "corporate":
        domain = s["corporate_domain"]
        return [("company_verified", f"company recognised by its corporate email domain {domain}")]
    if kind == "free":
        return [("free_mail_company", "a company registered with a free-mail address")]
    return []


def _velocity_reasons(s: Signals, config: ScoringConfig) -> list[tuple[str, str]]:
    counts = s.get("velocity", {})
    found = []
    for key, rule in config.velocity.items():
        count = int(counts.get(key, 0))
        if count >= rule.limit:
            within = _window(rule.window_seconds)
            detail = f"{count} other registrations {_VELOCITY_WHAT[key]} within {within}"
            found.append((f"velocity_{key}", detail))
    return found


def _matches(condition: PaymentPolicyCondition, band: RiskBand, company: bool, s: Signals) -> bool:
    return (
        (condition.band is None or band in condition.band)
        and (condition.company_recognised is None or condition.company_recognised == company)
        and (condition.person_type is None or condition.person_type == s["person_type"])
    )


def payment_policy_for(
    band: RiskBand, company_recognised: bool, signals: Signals, config: ScoringConfig
) -> PaymentPolicy:
    """The first configured rule that matches (the last rule matches everything)."""
    for rule in config.payment_policy:
        if _matches(rule.when, band, company_recognised, signals):
            return rule.policy
    return config.payment_policy[-1].policy


def decide_from_signals(signals: Signals, config: ScoringConfig) -> ScoreDecision:
    """Score, band, reasons (heaviest first) and payment policy from stored signals."""
    found: list[tuple[str, str]] = []
    for single in (_name_reason(signals), _card_holder_reason(signals, config)):
        if single:
            found.append(single)
    found += _country_reasons(signals)
    found += _profile_reasons(signals, config)
    found += _email_reasons(signals)
    found += _velocity_reasons(signals, config)
    if signals.get("entered_by") == "operator":
        found.append(("operator_entered", "entered by an operator who spoke to the caller"))
    counted = [(code, detail, 1) for code, detail in found]
    counted += behaviour_reasons(signals.get("behaviour") or {}, config)

    reasons = [
        Reason(code=code, detail=detail, weight=config.weight(code) * times)
        for code, detail, times in counted
        if config.weight(code) != 0
    ]
    reasons.sort(key=lambda r: (-(r.weight or 0), r.code))
    total = config.base_score + sum(r.weight or 0 for r in reasons)
    score = max(0, min(100, total))
    band = config.bands.band_for(score)
    company = _company_recognised(signals)
    return ScoreDecision(
        score=score,
        band=band,
        reasons=reasons,
        payment_policy=payment_policy_for(band, company, signals, config),
        model_version=config.model_version,
        company_recognised=company,
        signals=signals,
    )


def score_registration(
    reg: CustomerRegistered, velocity: VelocityCounts, config: ScoringConfig
) -> ScoreDecision:
    """Score a new registration: extract its signals, then decide from them."""
    return decide_from_signals(extract_signals(reg, velocity, config), config)


def firing_codes(signals: Signals, config: ScoringConfig) -> list[str]:
    """Every reason code the signals fire, whatever its weight today (a code weighed 0
    still fires): the features a re-fit learns from."""
    every = config.model_copy(update={"weights": dict.fromkeys(REASON_CODES, 1)})
    return sorted({reason.code for reason in decide_from_signals(signals, every).reasons})


# What a stored score keeps of a decision (beside its signals), and what an explanation
# compares.
DECISION_FIELDS = ("score", "band", "reasons", "payment_policy", "model_version",
                   "company_recognised")


def decision_fields(decision: ScoreDecision) -> dict[str, Any]:
    return decision.model_dump(mode="json", include=set(DECISION_FIELDS))


def person_type_of(event: CustomerRegistered, decision: ScoreDecision) -> PersonType:
    """Who registered: a company registered as an individual (a legal form and a corporate
    domain) is one."""
    return "company" if decision.company_recognised else event.person_type
