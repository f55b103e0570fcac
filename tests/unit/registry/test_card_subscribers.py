"""The caller-card subscribers: each event reaches the card once, in any order."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.registry import handlers
from services.registry.api.schemas import PurchaseRequest
from services.registry.domain import apply_purchase
from services.registry.repository import RegistryRepository
from shared.contracts import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerThanked,
    Event,
    InteractionLogged,
    LoyaltyUpdated,
    NotificationSent,
    PointsRedeemed,
    PurchaseRecorded,
    SurveyAnswered,
    TierChanged,
)
from shared.errors import Rejected
from tests.unit.registry.conftest import OPERATOR, audit, registration

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def external_registration(customer_id: str = "ext-1", phone: str = "+79005550001",
                          **overrides: Any) -> CustomerRegistered:
    fields: dict[str, Any] = {
        "customer_id": customer_id, "full_name": "Olga Smirnova", "phone": phone,
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self",
    }
    return CustomerRegistered.model_validate(fields | overrides)


def each_card_event(customer_id: str) -> list[Event]:
    return [
        CustomerScored(customer_id=customer_id, score=82, band="high",
                       payment_policy="prepaid_only", model_version="rules-1",
                       reasons=[{"code": "famous_name", "detail": "a famous name"}]),
        CustomerSegmented(customer_id=customer_id, segment="chatty"),
        LoyaltyUpdated(customer_id=customer_id, points_delta=12, points_balance=12,
                       value_month="1250", value_year="1250", value_lifetime="1250",
                       tier="standard"),
        TierChanged(customer_id=customer_id, old_tier="standard", new_tier="gold",
                    value_percentile=95.0),
        CustomerLapsed(customer_id=customer_id, last_purchase_at=NOW, expected_interval_days=30,
                       days_since=45),
        SurveyAnswered(survey_id="s-1", customer_id=customer_id, kind="quality_survey", rating=9),
        InteractionLogged(interaction_id="i-1", customer_id=customer_id, channel="call",
                          outcome="info"),
        PointsRedeemed(redemption_id="r-1", customer_id=customer_id, points=5,
                       points_balance=7),
        CustomerThanked(thank_you_id="ty-1", customer_id=customer_id, reason="big_purchase",
                        bonus_points=50, operator_id="op-1"),
        NotificationSent(notification_id="thank_you:1", customer_id=customer_id,
                         kind="thank_you", status="sent", cause="gold"),
    ]


async def apply(repo: RegistryRepository, event: Event) -> None:
    if isinstance(event, CustomerScored):  # its own subscriber: it may publish a policy
        await handlers.on_scored(repo, event)
        return
    update = dict(handlers.CARD_UPDATES)[type(event)]
    await handlers.update_card(repo, update, event)


async def test_every_card_event_shows_on_the_card(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    for event in each_card_event(customer.customer_id):
        await apply(repo, event)
    card = await handlers.look_up_caller(repo, "+79001234567", "RU")
    assert card.risk is not None and card.risk.band == "high"
    assert card.segment == "chatty"
    assert (card.loyalty.tier, card.loyalty.points_balance) == ("gold", 12)
    assert card.lapsed is True
    assert card.last_survey is not None and card.last_survey.rating == 9
    assert [line.interaction_id for line in card.last_interactions] == ["i-1"]
    assert [(r.redemption_id, r.points, r.points_balance) for r in card.last_redemptions] == [
        ("r-1", 5, 7)]
    assert card.payment_policy == "prepaid_only"
    assert {(t.thank_you_id, t.reason, t.automatic) for t in card.thank_yous} == {
        ("ty-1", "big_purchase", False), ("thank_you:1", "gold", True)}


async def test_a_purchase_from_another_system_reaches_the_card(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    await apply(repo, PurchaseRecorded(purchase_id="pos-1", customer_id=customer.customer_id,
                                       amount="99.90", currency="RUB", discounted=True,
                                       payment_method="cash"))
    card = await handlers.look_up_caller(repo, "+79001234567", "RU")
    assert [p.purchase_id for p in card.last_purchases] == ["pos-1"]


async def test_a_redelivered_event_writes_nothing(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    purchase = PurchaseRecorded(purchase_id="pos-1", customer_id=customer.customer_id,
                                amount="10", currency="RUB", discounted=False,
                                payment_method="cash")
    await apply(repo, purchase)
    before = await repo.card(customer.customer_id)
    await apply(repo, purchase)
    assert await repo.card(customer.customer_id) == before
    assert before is not None and len(before["last_purchases"]) == 1


async def test_our_own_purchase_coming_back_is_a_no_op(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    event = await handlers.record_purchase(repo, PurchaseRequest(
        customer_id=customer.customer_id, amount="5", currency="RUB", payment_method="card"),
        OPERATOR)
    before = await repo.card(customer.customer_id)
    await apply(repo, event)
    assert await repo.card(customer.customer_id) == before


async def test_an_event_before_the_registration_starts_a_card_the_registration_fills(
    repo: RegistryRepository,
) -> None:
    scored = CustomerScored(customer_id="ext-1", score=5, band="low", payment_policy="any",
                            model_version="rules-1")
    await apply(repo, scored)
    await handlers.on_registered(repo, external_registration())
    card = await handlers.look_up_caller(repo, "+79005550001", "RU")
    assert (card.full_name, card.risk and card.risk.band) == ("Olga Smirnova", "low")


async def test_a_registration_from_another_system_is_imported(repo: RegistryRepository) -> None:
    await handlers.on_registered(repo, external_registration(category="vip"))
    assert await repo.customer_by_phone("+79005550001") == "ext-1"
    assert await repo.category_usage_count("vip") == 1


async def test_our_own_registration_coming_back_is_a_no_op(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    card = await repo.card(event.customer_id)
    assert await handlers.on_registered(repo, event) == []
    assert await repo.card(event.customer_id) == card
    assert await repo.category_usage_count("ordinary") == 1


async def test_a_registration_with_a_phone_owned_by_another_customer_is_rejected(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(phone="+79005550001"), OPERATOR)
    with pytest.raises(Rejected):
        await handlers.on_registered(repo, external_registration())


def test_every_card_topic_has_an_update() -> None:
    kinds = {kind for kind, _ in handlers.CARD_UPDATES} | {CustomerScored}  # + on_scored
    assert {type(e) for e in each_card_event("c")} | {PurchaseRecorded} == kinds
    assert dict(handlers.CARD_UPDATES)[PurchaseRecorded] is apply_purchase
