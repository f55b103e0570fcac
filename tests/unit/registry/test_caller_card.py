from datetime import UTC, datetime

import pytest

from services.registry.domain import (
    DEFAULT_CATEGORIES,
    PAYMENT_POLICY_TEXT,
    CallerCard,
    apply_scored,
    caller_card,
    card_from_registration,
    payment_policy_text,
    stricter_policy,
)
from shared.contracts.events import CustomerRegistered, CustomerScored
from shared.contracts.types import Language, PaymentPolicy

CATEGORIES = {category.slug: category for category in DEFAULT_CATEGORIES}
DESIGN_CARD_FIELDS = {
    "customer_id",
    "full_name",
    "category",
    "person_type",
    "segment",
    "risk",
    "loyalty",
    "lapsed",
    "last_purchases",
    "last_interactions",
    "last_survey",
}


def stored_card(category: str = "ordinary", policy: str | None = None) -> dict:
    card = card_from_registration(
        CustomerRegistered(
            customer_id="c-1",
            full_name="Anna Petrova",
            phone="+79001234567",
            country="RU",
            person_type="individual",
            category=category,
            entered_by="operator",
        )
    )
    if policy is not None:
        score = CustomerScored.model_validate(
            {
                "customer_id": "c-1",
                "score": 70,
                "band": "high",
                "payment_policy": policy,
                "model_version": "rules-1",
                "occurred_at": datetime.now(UTC),
            }
        )
        card = apply_scored(card, score)
    return card


def test_card_has_every_field_the_design_names() -> None:
    assert set(CallerCard.model_fields) >= DESIGN_CARD_FIELDS
    card = caller_card(stored_card(), CATEGORIES["ordinary"]).model_dump(mode="json")
    assert set(card) >= DESIGN_CARD_FIELDS
    assert set(card["loyalty"]) >= {
        "tier",
        "points_balance",
        "value_month",
        "value_year",
        "value_lifetime",
    }


def test_card_does_not_expose_bookkeeping_fields() -> None:
    card = caller_card(stored_card(), CATEGORIES["ordinary"]).model_dump()
    assert "versions" not in card and "revision" not in card


def test_card_shows_the_category_title_in_the_operators_language() -> None:
    card = caller_card(stored_card("vip"), CATEGORIES["vip"], language="ru")
    assert (card.category_title, card.category_colour) == ("VIP-клиент", "#b7791f")


def test_unscored_customer_of_an_ordinary_category_may_pay_any_way() -> None:
    card = caller_card(stored_card(), CATEGORIES["ordinary"])
    assert card.risk is None
    assert (card.payment_policy, card.payment_policy_text) == ("any", "Any payment method")


def test_problematic_category_means_prepayment_even_with_a_low_risk() -> None:
    card = caller_card(stored_card("problematic", policy="any"), CATEGORIES["problematic"])
    assert card.payment_policy == "prepaid_only"


def test_risk_policy_shows_through_an_ordinary_category() -> None:
    card = caller_card(stored_card(policy="irreversible_only"), CATEGORIES["ordinary"], "fa")
    assert card.payment_policy == "irreversible_only"
    assert card.payment_policy_text == PAYMENT_POLICY_TEXT["irreversible_only"]["fa"]


def test_card_of_a_deleted_category_shows_the_slug_alone() -> None:
    card = caller_card(stored_card("wholesale"), None)
    assert (card.category, card.category_title) == ("wholesale", None)


def test_employee_card_carries_the_discount() -> None:
    assert caller_card(stored_card("employee"), CATEGORIES["employee"]).discount_percent == "20"


@pytest.mark.parametrize(
    ("policy", "language", "text"),
    [
        ("any", "en", "Any payment method"),
        ("prepaid_only", "en", "Prepayment only"),
        ("irreversible_only", "en", "Irreversible payment only (no card chargebacks)"),
        ("prepaid_only", "ru", "Только предоплата"),
        ("prepaid_only", "fa", "فقط پیش‌پرداخت"),
    ],
)
def test_payment_policy_in_plain_words(
    policy: PaymentPolicy, language: Language, text: str
) -> None:
    assert payment_policy_text(policy, language) == text


def test_every_policy_is_worded_in_three_languages() -> None:
    for texts in PAYMENT_POLICY_TEXT.values():
        assert set(texts) == {"en", "ru", "fa"} and all(texts.values())


def test_prepayment_is_stricter_than_irreversible_payment() -> None:
    assert stricter_policy("irreversible_only", "prepaid_only") == "prepaid_only"
    assert stricter_policy("any", "irreversible_only") == "irreversible_only"
