import re
from datetime import UTC, datetime

from services.notify.domain import (
    notification_id,
    quality_survey_for_interaction,
    quality_survey_for_purchase,
    render,
    thank_you_for_gold,
    thank_you_for_referral,
    why_us_survey_for,
    winback_survey_for,
)
from shared.contracts.events import (
    CustomerLapsed,
    CustomerRegistered,
    InteractionLogged,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)

IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


def purchase(**changes: object) -> PurchaseRecorded:
    fields: dict[str, object] = {
        "purchase_id": "p-1",
        "customer_id": "c-1",
        "amount": "1250.00",
        "currency": "RUB",
        "discounted": False,
        "payment_method": "card",
        "employee_id": "e-42",
    }
    return PurchaseRecorded.model_validate(fields | changes)


def test_a_redelivered_purchase_yields_the_same_notification_id() -> None:
    first = quality_survey_for_purchase(purchase())
    redelivered = quality_survey_for_purchase(purchase())  # a new event_id, the same purchase
    assert first.notification_id == redelivered.notification_id


def test_two_purchases_yield_two_notification_ids() -> None:
    one = quality_survey_for_purchase(purchase(purchase_id="p-1"))
    two = quality_survey_for_purchase(purchase(purchase_id="p-2"))
    assert one.notification_id != two.notification_id


def test_a_purchase_and_an_interaction_with_the_same_id_do_not_collide() -> None:
    interaction = InteractionLogged(
        interaction_id="p-1", customer_id="c-1", channel="call", outcome="info", operator_id="o-1"
    )
    by_interaction = quality_survey_for_interaction(interaction)
    assert by_interaction is not None
    assert by_interaction.notification_id != quality_survey_for_purchase(purchase()).notification_id


def test_notification_ids_are_valid_contract_identifiers() -> None:
    nid = notification_id("why_us_survey", "x" * 64)
    assert len(nid) <= 64
    assert IDENTIFIER.match(nid)
    assert nid.startswith("why_us_survey:")


def test_the_quality_survey_keeps_the_employee_id_and_nothing_about_the_customer() -> None:
    request = quality_survey_for_purchase(purchase())
    assert request.employee_id == "e-42"
    assert request.context == {}  # the name is looked up when the text is written


def test_an_employee_id_is_never_shown_as_a_name() -> None:
    request = quality_survey_for_purchase(purchase())
    text = render(request.template, "en", request.context)
    assert "e-42" not in text and "our service" in text


def test_an_inbound_sms_interaction_calls_for_no_survey() -> None:
    sms = InteractionLogged(interaction_id="i-1", customer_id="c-1", channel="sms", outcome="info")
    assert quality_survey_for_interaction(sms) is None


def test_one_winback_survey_per_lapse_episode() -> None:
    last = datetime(2026, 8, 1, tzinfo=UTC)
    lapsed = CustomerLapsed(
        customer_id="c-1", last_purchase_at=last, expected_interval_days=30, days_since=60
    )
    again = lapsed.model_copy(update={"days_since": 90})
    later = lapsed.model_copy(update={"last_purchase_at": datetime(2026, 11, 1, tzinfo=UTC)})
    assert winback_survey_for(lapsed).notification_id == winback_survey_for(again).notification_id
    assert winback_survey_for(lapsed).notification_id != winback_survey_for(later).notification_id


def test_the_why_us_survey_is_asked_once_per_customer() -> None:
    registered = CustomerRegistered(
        customer_id="c-1",
        full_name="Anna Petrova",
        phone="+79161234567",
        country="RU",
        person_type="individual",
        category="ordinary",
        entered_by="operator",
    )
    assert why_us_survey_for(registered).notification_id == notification_id("why_us_survey", "c-1")


def test_the_referral_thank_you_goes_to_the_referrer_with_the_bonus() -> None:
    event = ReferralCredited(referrer_id="c-ref", referred_id="c-new", bonus_points=500)
    request = thank_you_for_referral(event)
    assert request.customer_id == "c-ref"
    assert request.kind == "thank_you"
    assert "500" in render(request.template, "en", request.context)


def test_only_reaching_gold_calls_for_a_thank_you() -> None:
    up = TierChanged(customer_id="c-1", old_tier="silver", new_tier="gold", value_percentile=91)
    down = TierChanged(customer_id="c-1", old_tier="gold", new_tier="silver", value_percentile=70)
    request = thank_you_for_gold(up)
    assert request is not None
    assert request.template == "thank_you_gold"
    assert thank_you_for_gold(down) is None


def test_an_operators_thank_you_is_one_message_per_thank_you_id_worded_by_reason() -> None:
    from services.notify.domain import thank_you_from_operator
    from shared.contracts.events import CustomerThanked

    complaint = CustomerThanked(thank_you_id="t-1", customer_id="c-1",
                                reason="complaint_resolved", bonus_points=200)
    plain = CustomerThanked(thank_you_id="t-2", customer_id="c-1", reason="loyal_customer")
    request = thank_you_from_operator(complaint)
    assert (request.kind, request.cause, request.thank_you_id) == ("thank_you", "manual", "t-1")
    assert request.notification_id == thank_you_from_operator(
        complaint.model_copy(update={"event_id": plain.event_id})).notification_id
    assert "patience" in render(request.template, "en", request.context)
    assert "200" in render(request.template, "en", request.context)
    assert render(thank_you_from_operator(plain).template, "en", {}).startswith(
        "Thank you for being our customer")


def test_automatic_thank_yous_name_their_cause() -> None:
    referral = thank_you_for_referral(
        ReferralCredited(referrer_id="c-ref", referred_id="c-new", bonus_points=5))
    gold = thank_you_for_gold(
        TierChanged(customer_id="c-1", old_tier="silver", new_tier="gold", value_percentile=91))
    assert (referral.cause, gold and gold.cause) == ("referral", "gold")
