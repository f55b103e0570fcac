"""Registry's operator use cases against the stand-in database (no Kafka, no HTTP)."""

import pytest

from services.registry import handlers
from services.registry.api.schemas import CustomerPatch, InteractionRequest, PurchaseRequest
from services.registry.domain import UnknownCategory
from services.registry.domain.errors import (
    CardNumberTaken,
    CustomerNotFound,
    NotFound,
    PhoneTaken,
    UnknownCustomer,
    Unprocessable,
)
from services.registry.repository import RegistryRepository
from tests.unit.registry.conftest import OPERATOR, audit, registration


async def test_registration_stores_the_phone_key_in_e164(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    assert event.phone == "+79001234567"
    assert await repo.customer_by_phone("+79001234567") == event.customer_id


async def test_registration_takes_entered_by_and_operator_id_from_the_caller(
    repo: RegistryRepository,
) -> None:
    event = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    stored = await handlers.customer(repo, event.customer_id, OPERATOR)
    assert (event.entered_by, event.operator_id) == ("operator", OPERATOR.operator_id)
    assert stored["operator_id"] == OPERATOR.operator_id
    assert stored["customer_id"] == event.customer_id


async def test_registration_writes_the_caller_card(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(category="vip"), OPERATOR)
    card = await handlers.look_up_caller(repo, "+7 (900) 123 45 67", "RU")
    assert (card.customer_id, card.category, card.risk) == (event.customer_id, "vip", None)


async def test_a_phone_registered_twice_names_the_existing_customer(
    repo: RegistryRepository,
) -> None:
    first = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(PhoneTaken) as taken:
        await handlers.register(repo, audit(repo), registration(phone="+7 900 123 45 67"), OPERATOR)
    assert taken.value.detail["customer_id"] == first.customer_id


async def test_an_unknown_category_lists_the_valid_ones(repo: RegistryRepository) -> None:
    with pytest.raises(UnknownCategory) as unknown:
        await handlers.register(repo, audit(repo), registration(category="platinum"), OPERATOR)
    assert unknown.value.valid == ["employee", "ordinary", "problematic", "vip"]


async def test_an_unknown_referrer_is_refused(repo: RegistryRepository) -> None:
    with pytest.raises(UnknownCustomer):
        await handlers.register(repo, audit(repo), registration(referred_by="c-nobody"), OPERATOR)


async def test_a_known_referrer_is_accepted(repo: RegistryRepository) -> None:
    referrer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    referred = await handlers.register(
        repo, audit(repo), registration(phone="+79001234568", referred_by=referrer.customer_id),
        OPERATOR)
    assert referred.referred_by == referrer.customer_id


async def test_a_loyalty_card_number_belongs_to_one_customer(repo: RegistryRepository) -> None:
    await handlers.register(repo, audit(repo), registration(card_number="L-100"), OPERATOR)
    with pytest.raises(CardNumberTaken):
        await handlers.register(
            repo, audit(repo), registration(phone="+79001234568", card_number="L-100"),
            OPERATOR
        )
    assert await repo.loyalty_card_owner("L-100") is not None


async def test_registration_counts_the_customer_in_its_category(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(category="vip"), OPERATOR)
    await handlers.register(repo, audit(repo), registration(phone="+79001234568", category="vip"),
                            OPERATOR)
    assert await repo.category_usage_count("vip") == 2
    assert await repo.category_usage_count("ordinary") == 0


async def test_a_category_change_moves_the_usage_count_and_names_only_that_field(
    repo: RegistryRepository,
) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    patch = CustomerPatch(category="problematic", person_type="individual")
    view, event = await handlers.change_customer(repo, audit(repo), customer.customer_id, patch,
                                                 OPERATOR)
    # the category, and the payment policy it brings (prepayment), for billing
    assert event is not None and event.changed == ["category", "payment_policy"]
    assert view["category"] == "problematic"
    assert await repo.category_usage_count("ordinary") == 0
    assert await repo.category_usage_count("problematic") == 1
    card = await handlers.look_up_caller(repo, "89001234567", "RU")
    assert (card.category, card.payment_policy) == ("problematic", "prepaid_only")


async def test_a_change_to_the_same_values_publishes_nothing(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    _, event = await handlers.change_customer(
        repo, audit(repo), customer.customer_id, CustomerPatch(category="ordinary"), OPERATOR)
    assert event is None


async def test_a_change_to_an_unknown_category_is_refused(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(UnknownCategory):
        await handlers.change_customer(
            repo, audit(repo), customer.customer_id, CustomerPatch(category="platinum"), OPERATOR)


async def test_changing_an_unknown_customer_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(CustomerNotFound):
        await handlers.change_customer(repo, audit(repo), "c-nobody", CustomerPatch(category="vip"),
                                       OPERATOR)


async def test_a_new_card_number_moves_the_unique_key(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(card_number="L-1"), OPERATOR)
    await handlers.change_customer(repo, audit(repo), customer.customer_id,
                                   CustomerPatch(card_number="L-2"), OPERATOR)
    assert await repo.loyalty_card_owner("L-1") is None
    assert await repo.loyalty_card_owner("L-2") == customer.customer_id


async def test_an_interaction_reaches_the_card_at_once(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    request = InteractionRequest(customer_id=customer.customer_id, outcome="info")
    event = await handlers.log_interaction(repo, request, OPERATOR)
    card = await handlers.look_up_caller(repo, "+79001234567", "RU")
    assert [line.interaction_id for line in card.last_interactions] == [event.interaction_id]
    assert event.operator_id == OPERATOR.operator_id


async def test_a_purchase_reaches_the_card_at_once(repo: RegistryRepository) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    request = PurchaseRequest(customer_id=customer.customer_id, amount="1250.00",
                              currency="RUB", payment_method="card")
    event = await handlers.record_purchase(repo, request, OPERATOR)
    card = await handlers.look_up_caller(repo, "+79001234567", "RU")
    assert [(p.purchase_id, p.amount) for p in card.last_purchases] == [
        (event.purchase_id, "1250.00")]


async def test_activity_for_an_unknown_customer_is_refused(repo: RegistryRepository) -> None:
    with pytest.raises(UnknownCustomer):
        await handlers.log_interaction(
            repo, InteractionRequest(customer_id="c-nobody", outcome="info"), OPERATOR
        )


@pytest.mark.parametrize("typed", ["+79001234567", "+7 (900) 123-45-67", "8 900 123 45 67",
                                   "79001234567", "0079001234567"])
async def test_a_caller_is_found_from_any_notation(repo: RegistryRepository, typed: str) -> None:
    event = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    card = await handlers.look_up_caller(repo, typed, "RU")
    assert card.customer_id == event.customer_id


async def test_an_unreadable_number_is_refused_not_looked_up(repo: RegistryRepository) -> None:
    with pytest.raises(Unprocessable):
        await handlers.look_up_caller(repo, "12", "RU")


async def test_an_unknown_number_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(NotFound):
        await handlers.look_up_caller(repo, "+79009998877", "RU")
