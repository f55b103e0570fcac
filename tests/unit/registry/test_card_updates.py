import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.registry.domain import (
    apply_customer_updated,
    apply_interaction,
    apply_lapsed,
    apply_loyalty_updated,
    apply_purchase,
    apply_scored,
    apply_segmented,
    apply_survey_answered,
    apply_tier_changed,
    card_from_registration,
)
from shared.contracts.events import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerUpdated,
    InteractionLogged,
    LoyaltyUpdated,
    PurchaseRecorded,
    SurveyAnswered,
    TierChanged,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def registered(minutes: int = 0, **overrides: Any) -> CustomerRegistered:
    fields: dict[str, Any] = {
        "customer_id": "c-1",
        "full_name": "Anna Petrova",
        "phone": "+79001234567",
        "country": "RU",
        "person_type": "individual",
        "category": "ordinary",
        "entered_by": "operator",
        "language": "ru",
        "occurred_at": at(minutes),
    }
    return CustomerRegistered(**(fields | overrides))


def new_card() -> dict[str, Any]:
    return card_from_registration(registered())


def scored(minutes: int, score: int = 10, band: str = "low") -> CustomerScored:
    return CustomerScored.model_validate(
        {
            "customer_id": "c-1",
            "score": score,
            "band": band,
            "reasons": [{"code": "famous_name", "detail": "a famous name", "weight": 40}],
            "payment_policy": "any" if band == "low" else "prepaid_only",
            "model_version": "rules-1",
            "occurred_at": at(minutes),
        }
    )


def loyalty(minutes: int, balance: int, tier: str = "standard") -> LoyaltyUpdated:
    return LoyaltyUpdated.model_validate(
        {
            "customer_id": "c-1",
            "points_delta": balance,
            "points_balance": balance,
            "value_month": "100.00",
            "value_year": "1200.50",
            "value_lifetime": "3000.75",
            "tier": tier,
            "occurred_at": at(minutes),
        }
    )


def purchase(purchase_id: str, minutes: int, amount: str = "100.00") -> PurchaseRecorded:
    return PurchaseRecorded.model_validate(
        {
            "purchase_id": purchase_id,
            "customer_id": "c-1",
            "amount": amount,
            "currency": "RUB",
            "discounted": False,
            "payment_method": "card",
            "occurred_at": at(minutes),
        }
    )


def interaction(interaction_id: str, minutes: int) -> InteractionLogged:
    return InteractionLogged(
        interaction_id=interaction_id,
        customer_id="c-1",
        channel="call",
        outcome="info",
        questions=3,
        occurred_at=at(minutes),
    )


def lapsed(minutes: int) -> CustomerLapsed:
    return CustomerLapsed(
        customer_id="c-1",
        last_purchase_at=at(-60 * 24 * 90),
        expected_interval_days=30,
        days_since=90,
        occurred_at=at(minutes),
    )


def test_registration_builds_a_card_with_profile_and_empty_sections() -> None:
    card = new_card()
    assert (card["customer_id"], card["full_name"], card["phone"]) == (
        "c-1",
        "Anna Petrova",
        "+79001234567",
    )
    assert (card["category"], card["person_type"], card["language"]) == (
        "ordinary",
        "individual",
        "ru",
    )
    assert card["risk"] is None and card["segment"] is None and card["last_survey"] is None
    assert card["loyalty"]["tier"] == "standard" and card["loyalty"]["points_balance"] == 0
    assert card["lapsed"] is False
    assert card["revision"] == 1


def test_apply_functions_do_not_mutate_their_input() -> None:
    card = new_card()
    before = copy.deepcopy(card)
    apply_scored(card, scored(1))
    apply_purchase(card, purchase("p-1", 1))
    assert card == before


def test_scored_fills_the_risk_section_without_weights() -> None:
    card = apply_scored(new_card(), scored(1, score=82, band="high"))
    assert card["risk"] == {
        "score": 82,
        "band": "high",
        "reasons": [{"code": "famous_name", "detail": "a famous name"}],
        "payment_policy": "prepaid_only",
    }
    assert card["revision"] == 2


def test_an_older_score_does_not_overwrite_a_newer_one() -> None:
    card = apply_scored(new_card(), scored(5, score=82, band="high"))
    card = apply_scored(card, scored(1, score=10, band="low"))
    assert card["risk"]["score"] == 82


def test_a_redelivered_event_leaves_the_revision_alone() -> None:
    card = apply_scored(new_card(), scored(1))
    assert apply_scored(card, scored(1))["revision"] == card["revision"]


def test_segmented_sets_the_segment_and_ignores_older_ones() -> None:
    card = apply_segmented(
        new_card(), CustomerSegmented(customer_id="c-1", segment="chatty", occurred_at=at(5))
    )
    card = apply_segmented(
        card, CustomerSegmented(customer_id="c-1", segment="time_waster", occurred_at=at(2))
    )
    assert card["segment"] == "chatty"


def test_loyalty_updated_sets_points_value_and_tier_as_decimal_strings() -> None:
    card = apply_loyalty_updated(new_card(), loyalty(1, balance=120, tier="silver"))
    assert card["loyalty"] == {
        "tier": "silver",
        "points_balance": 120,
        "value_month": "100.00",
        "value_year": "1200.50",
        "value_lifetime": "3000.75",
        "value_percentile": None,
    }


def test_an_older_loyalty_update_does_not_overwrite_a_newer_one() -> None:
    card = apply_loyalty_updated(new_card(), loyalty(10, balance=300))
    card = apply_loyalty_updated(card, loyalty(5, balance=100))
    assert card["loyalty"]["points_balance"] == 300


def test_tier_change_sets_tier_and_percentile() -> None:
    event = TierChanged(
        customer_id="c-1",
        old_tier="silver",
        new_tier="gold",
        value_percentile=93.5,
        occurred_at=at(1),
    )
    card = apply_tier_changed(new_card(), event)
    assert (card["loyalty"]["tier"], card["loyalty"]["value_percentile"]) == ("gold", 93.5)


def test_an_older_loyalty_update_keeps_points_but_not_its_stale_tier() -> None:
    gold = TierChanged(
        customer_id="c-1",
        old_tier="silver",
        new_tier="gold",
        value_percentile=95,
        occurred_at=at(10),
    )
    card = apply_tier_changed(new_card(), gold)
    card = apply_loyalty_updated(card, loyalty(5, balance=80, tier="silver"))
    assert card["loyalty"]["tier"] == "gold"
    assert card["loyalty"]["points_balance"] == 80


def test_lapsed_sets_the_flag_and_its_detail() -> None:
    card = apply_lapsed(new_card(), lapsed(1))
    assert card["lapsed"] is True
    assert card["lapsed_detail"]["days_since"] == 90


def test_a_purchase_after_the_lapse_clears_the_flag() -> None:
    card = apply_purchase(apply_lapsed(new_card(), lapsed(1)), purchase("p-1", 2))
    assert card["lapsed"] is False and card["lapsed_detail"] is None


def test_a_late_delivered_purchase_from_before_the_lapse_keeps_the_flag() -> None:
    card = apply_purchase(apply_lapsed(new_card(), lapsed(10)), purchase("p-1", 2))
    assert card["lapsed"] is True


def test_survey_answer_is_kept_and_an_older_one_ignored() -> None:
    def answer(survey_id: str, minutes: int, rating: int) -> SurveyAnswered:
        return SurveyAnswered(
            survey_id=survey_id,
            customer_id="c-1",
            kind="quality_survey",
            rating=rating,
            employee_id="e-1",
            occurred_at=at(minutes),
        )

    card = apply_survey_answered(new_card(), answer("s-2", 10, 9))
    card = apply_survey_answered(card, answer("s-1", 5, 2))
    assert (card["last_survey"]["survey_id"], card["last_survey"]["rating"]) == ("s-2", 9)
    assert card["last_survey"]["employee_id"] == "e-1"


def test_purchases_are_kept_newest_first_and_bounded_to_five() -> None:
    card = new_card()
    for minute in range(1, 8):
        card = apply_purchase(card, purchase(f"p-{minute}", minute))
    assert [line["purchase_id"] for line in card["last_purchases"]] == [
        "p-7",
        "p-6",
        "p-5",
        "p-4",
        "p-3",
    ]


def test_purchase_amount_stays_a_decimal_string() -> None:
    card = apply_purchase(new_card(), purchase("p-1", 1, amount="-300.50"))
    assert card["last_purchases"][0]["amount"] == "-300.50"


def test_a_redelivered_purchase_is_not_listed_twice() -> None:
    card = apply_purchase(new_card(), purchase("p-1", 1))
    again = apply_purchase(card, purchase("p-1", 1))
    assert len(again["last_purchases"]) == 1
    assert again["revision"] == card["revision"]


def test_a_late_purchase_is_placed_in_time_order() -> None:
    card = apply_purchase(new_card(), purchase("p-new", 10))
    card = apply_purchase(card, purchase("p-old", 1))
    assert [line["purchase_id"] for line in card["last_purchases"]] == ["p-new", "p-old"]


def test_a_late_purchase_older_than_the_five_kept_changes_nothing() -> None:
    card = new_card()
    for minute in range(10, 15):
        card = apply_purchase(card, purchase(f"p-{minute}", minute))
    assert apply_purchase(card, purchase("p-ancient", 1)) == card


def test_interactions_are_kept_newest_first_and_bounded_to_five() -> None:
    card = new_card()
    for minute in range(1, 9):
        card = apply_interaction(card, interaction(f"i-{minute}", minute))
    assert [line["interaction_id"] for line in card["last_interactions"]] == [
        "i-8",
        "i-7",
        "i-6",
        "i-5",
        "i-4",
    ]
    assert card["last_interactions"][0]["questions"] == 3


def test_a_redelivered_interaction_is_not_listed_twice() -> None:
    card = apply_interaction(new_card(), interaction("i-1", 1))
    card = apply_interaction(card, interaction("i-1", 1))
    assert len(card["last_interactions"]) == 1


def test_customer_updated_changes_the_category() -> None:
    event = CustomerUpdated(
        customer_id="c-1", category="vip", changed=["category"], occurred_at=at(1)
    )
    assert apply_customer_updated(new_card(), event)["category"] == "vip"


def test_an_older_category_change_does_not_undo_a_newer_one() -> None:
    newer = CustomerUpdated(
        customer_id="c-1", category="problematic", changed=["category"], occurred_at=at(9)
    )
    older = CustomerUpdated(
        customer_id="c-1", category="vip", changed=["category"], occurred_at=at(3)
    )
    card = apply_customer_updated(apply_customer_updated(new_card(), newer), older)
    assert card["category"] == "problematic"


def test_an_older_update_of_another_field_still_applies() -> None:
    category = CustomerUpdated(
        customer_id="c-1", category="vip", changed=["category"], occurred_at=at(9)
    )
    name = CustomerUpdated(
        customer_id="c-1", full_name="Anna Sidorova", changed=["full_name"], occurred_at=at(3)
    )
    card = apply_customer_updated(apply_customer_updated(new_card(), category), name)
    assert (card["category"], card["full_name"]) == ("vip", "Anna Sidorova")


def test_a_score_that_overtakes_the_registration_is_kept() -> None:
    early = apply_scored(None, scored(1, score=82, band="high"))
    card = card_from_registration(registered(), early)
    assert card["risk"]["score"] == 82
    assert card["full_name"] == "Anna Petrova"


def test_a_redelivered_registration_does_not_undo_a_later_category_change() -> None:
    change = CustomerUpdated(
        customer_id="c-1", category="vip", changed=["category"], occurred_at=at(5)
    )
    card = card_from_registration(registered(), apply_customer_updated(new_card(), change))
    assert card["category"] == "vip"


def test_the_card_ends_the_same_whatever_order_events_arrive_in() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    events: list[Any] = [purchase(f"p-{minute}", minute) for minute in range(1, 8)]
    events += [interaction(f"i-{minute}", minute) for minute in range(1, 8)]
    events += [scored(3, score=40, band="medium"), scored(6, score=82, band="high")]
    events += [loyalty(2, balance=50), loyalty(7, balance=90, tier="silver"), lapsed(4)]
    apply: dict[type, Callable[[Any, Any], dict[str, Any]]] = {
        PurchaseRecorded: apply_purchase,
        InteractionLogged: apply_interaction,
        CustomerScored: apply_scored,
        LoyaltyUpdated: apply_loyalty_updated,
        CustomerLapsed: apply_lapsed,
    }

    def replay(ordered: list[Any]) -> dict[str, Any]:
        card = new_card()
        for event in ordered:
            card = apply[type(event)](card, event)
        return {key: value for key, value in card.items() if key != "revision"}

    in_order = replay(events)

    @settings(max_examples=60, deadline=None)
    @given(st.permutations(events), st.lists(st.sampled_from(events), max_size=5))
    def check(shuffled: list[Any], redelivered: list[Any]) -> None:
        assert replay(shuffled + redelivered) == in_order

    check()


def test_a_lapse_detected_before_a_purchase_but_delivered_after_it_is_ignored() -> None:
    card = apply_lapsed(apply_purchase(new_card(), purchase("p-1", 10)), lapsed(4))
    assert card["lapsed"] is False
