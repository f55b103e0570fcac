from __future__ import annotations

from itertools import count

from services.scoring.domain import (
    BehaviourProfile,
    apply_interaction,
    apply_purchase,
    classify,
    with_person_type,
)
from shared.contracts import InteractionLogged, PurchaseRecorded

_ids = count(1)


def talk(profile: BehaviourProfile, outcome="info", duration_s=60, questions=0) -> BehaviourProfile:
    event = InteractionLogged(
        interaction_id=f"i-{next(_ids)}", customer_id="c-1", channel="call",
        duration_s=duration_s, questions=questions, outcome=outcome,
    )  # fmt: skip
    return apply_interaction(profile, event)


def buy(profile: BehaviourProfile, discounted=False, amount="100.00") -> BehaviourProfile:
    event = PurchaseRecorded(
        purchase_id=f"p-{next(_ids)}", customer_id="c-1", amount=amount, currency="RUB",
        discounted=discounted, payment_method="card",
    )  # fmt: skip
    return apply_purchase(profile, event)


def test_new_customer_is_regular(config) -> None:
    assert classify(BehaviourProfile(), config)[0] == "regular"


def test_company_is_classified_as_company(config) -> None:
    profile = with_person_type(buy(BehaviourProfile()), "company")
    assert classify(profile, config)[0] == "company"


def test_mostly_promotional_buyer_is_bargain_hunter(config) -> None:
    profile = BehaviourProfile()
    for discounted in (True, True, True, False):
        profile = buy(profile, discounted=discounted)
    segment, evidence = classify(profile, config)
    assert segment == "bargain_hunter"
    assert evidence["discounted_share"] == 0.75


def test_many_long_questioning_calls_without_purchase_is_time_waster(config) -> None:
    profile = BehaviourProfile()
    for _ in range(4):
        profile = talk(profile, duration_s=900, questions=5)
    assert classify(profile, config)[0] == "time_waster"


def test_one_purchase_stops_a_customer_being_a_time_waster(config) -> None:
    profile = BehaviourProfile()
    for _ in range(4):
        profile = talk(profile, duration_s=900, questions=5)
    assert classify(buy(profile), config)[0] != "time_waster"


def test_trial_then_purchase_is_interested(config) -> None:
    profile = buy(talk(BehaviourProfile(), outcome="trial"))
    assert profile.trial_then_purchase == 1
    assert classify(profile, config)[0] == "interested"


def test_purchase_before_trial_is_not_a_conversion(config) -> None:
    profile = talk(buy(BehaviourProfile()), outcome="trial")
    assert profile.trial_then_purchase == 0


def test_talkative_buyer_is_chatty(config) -> None:
    profile = buy(BehaviourProfile())
    for _ in range(6):
        profile = talk(profile, duration_s=400, questions=1)
    assert classify(profile, config)[0] == "chatty"


def test_refund_is_not_counted_as_purchase(config) -> None:
    profile = buy(BehaviourProfile(), amount="-100.00")
    assert (profile.purchases, profile.refunds) == (0, 1)


def test_evidence_keys_are_plain_identifiers(config) -> None:
    profile = buy(talk(BehaviourProfile(), outcome="trial"))
    _, evidence = classify(profile, config)
    assert all(key.isidentifier() for key in evidence)
