"""Re-scoring on behaviour: what a customer does after registering moves their score.

Seed 003's fraudsters fill in the minimum, ask no questions and pay in ways they can
reverse. After registration the suite sees purchases, refunds and calls, so a decision is
made again, from the registration's signals plus these facts, whenever the facts change:

- a payment reversed against the merchant (a chargeback): weighed per chargeback, up to two;
- many refunds for few purchases;
- a purchase paid by a method the customer's payment policy forbids (a card for
  ``irreversible_only``, an invoice for ``prepaid_only``);
- a first purchase soon after registering, by a reversible method, with no contact before;
- and, the other way, many questions before the first purchase (reassurance).

The facts live in the behaviour profile (pure updates here) and are copied into the stored
signals under ``behaviour``, so a re-score replays like any decision (``decide_from_signals``).
Only facts that fire a reason are copied: an ordinary customer's purchases change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.scoring.domain.behaviour import BehaviourProfile, apply_purchase
from services.scoring.domain.config import RescoringRules, ScoringConfig
from shared.contracts import PurchaseRecorded
from shared.contracts.types import PaymentPolicy

#: Chargebacks weighed, at most: the reason's weight counts once per chargeback up to this.
CHARGEBACKS_WEIGHED = 2


def forbidden_by(policy: PaymentPolicy, method: str, rules: RescoringRules) -> bool:
    """Whether ``policy`` forbids paying by ``method``."""
    method = method.lower()
    if policy == "irreversible_only":
        return method in rules.reversible_methods or method in rules.deferred_methods
    if policy == "prepaid_only":
        return method in rules.deferred_methods
    return False


def observe_payment(before: BehaviourProfile, after: BehaviourProfile, event: PurchaseRecorded,
                    policy: PaymentPolicy, registered_at: datetime | None,
                    rules: RescoringRules) -> BehaviourProfile:
    """``after`` (the profile with this purchase counted) with the facts re-scoring reads.

    ``policy`` is the customer's payment policy when they paid, ``registered_at`` when they
    registered (None when unknown: no quick-purchase fact)."""
    method = event.payment_method.lower()
    changes: dict[str, Any] = {}
    if event.amount < 0:
        if method in rules.chargeback_methods:
            changes["chargebacks"] = after.chargebacks + 1
    else:
        if forbidden_by(policy, method, rules):
            changes["forbidden_payments"] = after.forbidden_payments + 1
        first = before.purchases == 0 and before.interactions == 0
        soon = registered_at is not None and (
            (event.occurred_at - registered_at).total_seconds()
            <= rules.quick_purchase_hours * 3600)
        if first and soon and method in rules.reversible_methods:
            changes["quick_reversible_first_purchase"] = True
    return after.model_copy(update=changes) if changes else after


def observe_purchase(profile: BehaviourProfile, event: PurchaseRecorded,
                     policy: PaymentPolicy | None, registered_at: datetime | None,
                     rules: RescoringRules) -> BehaviourProfile:
    """The profile after a purchase, a refund or a chargeback, with the facts re-scoring
    reads (see ``observe_payment``); a customer scoring never scored pays under "any"."""
    return observe_payment(profile, apply_purchase(profile, event), event, policy or "any",
                           registered_at, rules)


def behaviour_facts(profile: BehaviourProfile, rules: RescoringRules) -> dict[str, Any]:
    """The facts that fire a behaviour reason, and only those (see the module's list)."""
    facts: dict[str, Any] = {}
    if profile.chargebacks:
        facts["chargebacks"] = profile.chargebacks
    if profile.refunds >= rules.refund_pattern_min_refunds and (
            profile.purchases == 0
            or profile.refunds / profile.purchases >= rules.refund_pattern_min_share):
        facts["refunds"], facts["purchases"] = profile.refunds, profile.purchases
    if profile.forbidden_payments:
        facts["forbidden_payments"] = profile.forbidden_payments
    if profile.quick_reversible_first_purchase:
        facts["quick_reversible_first_purchase"] = True
    if profile.questions_before_purchase >= rules.questions_before_buying:
        facts["questions_before_purchase"] = profile.questions_before_purchase
    return facts


def _times(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def behaviour_reasons(facts: dict[str, Any], config: ScoringConfig
                      ) -> list[tuple[str, str, int]]:
    """(code, detail, how many times its weight counts) for the stored behaviour facts."""
    rules = config.rescoring
    found: list[tuple[str, str, int]] = []
    if chargebacks := int(facts.get("chargebacks", 0)):
        found.append(("chargeback", f"{_times(chargebacks, 'payment', 'payments')} reversed "
                                    "by chargeback since registering",
                      min(chargebacks, CHARGEBACKS_WEIGHED)))
    if "refunds" in facts:
        found.append(("refund_pattern", f"{_times(facts['refunds'], 'refund', 'refunds')} for "
                                        f"{_times(facts['purchases'], 'purchase', 'purchases')}",
                      1))
    if forbidden := int(facts.get("forbidden_payments", 0)):
        found.append(("forbidden_payment_method",
                      f"{_times(forbidden, 'purchase', 'purchases')} paid by a method the "
                      "payment policy forbids", 1))
    if facts.get("quick_reversible_first_purchase"):
        found.append(("card_purchase_without_questions",
                      f"first purchase within {rules.quick_purchase_hours:g} h of registering, "
                      "by a reversible method, with no call or question before", 1))
    if questions := int(facts.get("questions_before_purchase", 0)):
        found.append(("questions_before_buying",
                      f"asked {questions} questions before buying (fraud rarely asks)", 1))
    return found
