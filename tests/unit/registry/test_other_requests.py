from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import CustomerPatch, InteractionRequest, PurchaseRequest
from services.registry.domain import new_id


def test_patch_with_no_fields_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        CustomerPatch.model_validate({})


def test_patch_changes_only_the_fields_sent() -> None:
    assert CustomerPatch.model_validate({"category": "vip"}).changes() == {"category": "vip"}


def test_patch_may_clear_an_optional_field() -> None:
    patch = CustomerPatch.model_validate({"email": None})
    assert patch.changes() == {"email": None}
    assert patch.to_event("c-1").changed == ["email"]


def test_patch_may_not_clear_the_category() -> None:
    with pytest.raises(ValidationError, match="cannot be cleared: category"):
        CustomerPatch.model_validate({"category": None})


def test_patch_with_a_misspelt_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        CustomerPatch.model_validate({"categroy": "vip"})


def test_patch_becomes_an_updated_event_naming_the_changed_fields() -> None:
    event = CustomerPatch.model_validate({"category": "vip", "language": "fa"}).to_event("c-1")
    assert (event.category, event.language) == ("vip", "fa")
    assert event.changed == ["category", "language"]


def test_interaction_defaults_to_a_call() -> None:
    request = InteractionRequest.model_validate({"customer_id": "c-1", "outcome": "info"})
    assert request.channel == "call"


def test_interaction_with_negative_duration_is_refused() -> None:
    with pytest.raises(ValidationError):
        InteractionRequest.model_validate(
            {"customer_id": "c-1", "outcome": "info", "duration_s": -1}
        )


def test_interaction_becomes_a_logged_event() -> None:
    request = InteractionRequest.model_validate(
        {"customer_id": "c-1", "outcome": "trial", "questions": 4, "channel": "chat"}
    )
    event = request.to_event("i-1", operator_id="op-7")
    assert (event.interaction_id, event.channel, event.questions) == ("i-1", "chat", 4)


def purchase(**overrides: object) -> dict[str, object]:
    base = {"customer_id": "c-1", "amount": "1250.00", "currency": "RUB", "payment_method": "Card"}
    return base | overrides


def test_purchase_amount_stays_an_exact_decimal() -> None:
    request = PurchaseRequest.model_validate(purchase())
    assert request.amount == Decimal("1250.00")
    assert request.to_event("p-1").model_dump(mode="json")["amount"] == "1250.00"


def test_purchase_method_is_lower_cased() -> None:
    assert PurchaseRequest.model_validate(purchase()).payment_method == "card"


@pytest.mark.parametrize("code", ["rub", "US$", "ABC"])
def test_a_currency_code_that_is_no_iso_code_is_refused_as_such(code: str) -> None:
    with pytest.raises(ValidationError, match="not an ISO 4217 currency code"):
        PurchaseRequest.model_validate(purchase(currency=code))


def test_a_currency_the_suite_cannot_value_is_refused_naming_the_accepted_ones() -> None:
    with pytest.raises(ValidationError, match=r"cannot value BRL; accepted currencies: .*KZT"):
        PurchaseRequest.model_validate(purchase(currency="BRL"))


def test_a_refund_names_the_purchase_it_reverses() -> None:
    request = PurchaseRequest.model_validate(purchase(amount="-300.00", refund_of="p-1"))
    assert request.to_event("p-2").refund_of == "p-1"


def test_refund_of_with_a_positive_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a negative amount"):
        PurchaseRequest.model_validate(purchase(refund_of="p-1"))


def test_negative_amount_is_a_refund() -> None:
    assert PurchaseRequest.model_validate(purchase(amount="-300.00")).amount == Decimal("-300.00")


def test_zero_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be zero"):
        PurchaseRequest.model_validate(purchase(amount="0"))


def test_float_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="decimal string"):
        PurchaseRequest.model_validate(purchase(amount=12.5))


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        PurchaseRequest.model_validate(purchase(currency="XYZ"))


def test_purchase_is_not_discounted_unless_said_so() -> None:
    assert PurchaseRequest.model_validate(purchase()).discounted is False


def test_new_ids_are_prefixed_and_unique() -> None:
    first, second = new_id("c"), new_id("c")
    assert first.startswith("c-")
    assert first != second
