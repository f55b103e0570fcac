"""Registry keeps and shows no more personal data than each role needs, and a registration
answers a 409 only once the rest of it is valid (no oracle for whose number it is)."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.registry import handlers
from services.registry.api.schemas import CustomerPatch
from services.registry.domain import (
    CallerCard,
    UnknownCategory,
    apply_scored,
    apply_survey_answered,
    caller_card,
    card_from_registration,
)
from services.registry.domain.card import analyst_card
from services.registry.domain.errors import (
    CardNumberTaken,
    PhoneTaken,
    UnknownCustomer,
)
from services.registry.handlers.customers import customer_view
from services.registry.repository import RegistryRepository
from shared.auth import Principal, Role
from shared.contracts import CustomerRegistered, CustomerScored, SurveyAnswered
from tests.unit.registry.conftest import OPERATOR, audit, registration

ANALYST = Principal(Role.ANALYST, "op-analyst1", person=True, display_name="Ali Analyst")
ANALYST_CLIENT = Principal.client(Role.ANALYST)
ADMIN_CLIENT = Principal.client(Role.ADMIN)
OPERATOR_CLIENT = Principal.client(Role.OPERATOR)
FULL: dict[str, Any] = {
    "email": "anna@example.ru", "ip": "5.255.255.5", "card_holder_name": "ANNA PETROVA",
    "card_number": "L-100234", "source": "friend", "language": "ru", "category": "vip",
}
PERSONAL_FIELDS = ("full_name", "phone", "email", "ip", "card_holder_name", "card_number")
PAYMENT_CARDS = ("4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004",
                 "378282246310005", "6011 0009 9013 9424")


# card data --------------------------------------------------------------------------------

@pytest.mark.parametrize("number", PAYMENT_CARDS)
def test_a_payment_card_number_is_refused_at_registration(number: str) -> None:
    with pytest.raises(ValidationError) as refused:
        registration(card_number=number)
    (error,) = refused.value.errors()
    assert error["loc"] == ("card_number",)
    assert "payment card" in error["msg"]
    assert number.replace(" ", "") not in error["msg"].replace(" ", "")


@pytest.mark.parametrize("number", PAYMENT_CARDS)
def test_a_payment_card_number_is_refused_in_a_change(number: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CustomerPatch(card_number=number)
    assert "payment card" in refused.value.errors()[0]["msg"]


@pytest.mark.parametrize("number", ["L-100234", "771234567890", "7700000000001", "card-17",
                                    "4111111111111112"])
def test_loyalty_card_numbers_are_still_taken(number: str) -> None:
    assert registration(card_number=number).card_number == number


async def test_the_card_holder_name_is_published_but_not_kept(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(**FULL), OPERATOR)
    assert event.card_holder_name == "ANNA PETROVA"  # scoring needs it
    stored = await repo.customer(event.customer_id)
    assert stored is not None and "card_holder_name" not in stored
    shown = await handlers.customer(repo, event.customer_id, OPERATOR)
    assert "card_holder_name" not in shown
    assert shown["email"] == "anna@example.ru"


async def test_a_card_holder_name_stored_before_the_rule_is_not_shown() -> None:
    document = {"_id": "c-1", "full_name": "Anna", "card_holder_name": "ANNA PETROVA"}
    assert "card_holder_name" not in customer_view(document, ADMIN_CLIENT)


# least exposure ---------------------------------------------------------------------------

@pytest.mark.parametrize("analyst", [ANALYST, ANALYST_CLIENT], ids=["person", "client"])
async def test_an_analyst_sees_the_customer_without_personal_fields(
    repo: RegistryRepository, analyst: Principal,
) -> None:
    event = await handlers.register(repo, audit(repo), registration(**FULL), OPERATOR)
    shown = await handlers.customer(repo, event.customer_id, analyst)
    for field in PERSONAL_FIELDS:
        assert field not in shown
    assert "+7900" not in str(shown) and "anna" not in str(shown).lower()
    assert shown["customer_id"] == event.customer_id
    assert (shown["category"], shown["person_type"], shown["country"]) == (
        "vip", "individual", "RU")
    assert (shown["source"], shown["language"]) == ("friend", "ru")
    assert shown["registered_at"]


@pytest.mark.parametrize("reader", [OPERATOR, OPERATOR_CLIENT, ADMIN_CLIENT],
                         ids=["operator", "operator client", "admin client"])
async def test_operators_and_admins_see_the_whole_record(
    repo: RegistryRepository, reader: Principal,
) -> None:
    event = await handlers.register(repo, audit(repo), registration(**FULL), OPERATOR)
    shown = await handlers.customer(repo, event.customer_id, reader)
    assert (shown["full_name"], shown["phone"], shown["email"]) == (
        "Anna Petrova", "+79001234567", "anna@example.ru")
    assert (shown["ip"], shown["card_number"]) == ("5.255.255.5", "L-100234")


# no oracle ----------------------------------------------------------------------------------

async def test_a_known_phone_with_an_unknown_category_is_422_not_409(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(UnknownCategory):
        await handlers.register(repo, audit(repo), registration(category="platinum"), OPERATOR)


async def test_a_known_phone_with_an_unknown_referrer_is_422_not_409(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(UnknownCustomer):
        await handlers.register(repo, audit(repo), registration(referred_by="c-nobody"),
                                OPERATOR)


async def test_a_taken_card_number_with_an_unknown_referrer_is_422_not_409(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(card_number="L-7"), OPERATOR)
    with pytest.raises(UnknownCustomer):
        await handlers.register(
            repo, audit(repo),
            registration(phone="+79001234568", card_number="L-7", referred_by="c-nobody"),
            OPERATOR)
    with pytest.raises(CardNumberTaken):
        await handlers.register(
            repo, audit(repo), registration(phone="+79001234568", card_number="L-7"), OPERATOR)


@pytest.mark.parametrize("by", [OPERATOR, OPERATOR_CLIENT, ADMIN_CLIENT],
                         ids=["operator", "operator client", "admin client"])
async def test_the_409_names_the_owner_to_operators_and_admins(
    repo: RegistryRepository, by: Principal,
) -> None:
    first = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(PhoneTaken) as taken:
        await handlers.register(repo, audit(repo), registration(), by)
    assert taken.value.detail == {"message": "this phone number is already registered",
                                  "customer_id": first.customer_id}


async def test_the_409_names_no_owner_to_other_roles(repo: RegistryRepository) -> None:
    await handlers.register(repo, audit(repo), registration(), OPERATOR)
    with pytest.raises(PhoneTaken) as taken:
        await handlers.register(repo, audit(repo), registration(), ANALYST)
    assert taken.value.detail == {"message": "this phone number is already registered"}


# the caller card, as an analyst reads it ----------------------------------------------------

def full_card() -> CallerCard:
    registered = CustomerRegistered(
        customer_id="c-1", full_name="Dmitry Medvedev", phone="+79001234567", country="RU",
        person_type="individual", category="vip", entered_by="operator", card_number="L-77")
    card = card_from_registration(registered)
    card = apply_scored(card, CustomerScored(
        customer_id="c-1", score=80, band="high", payment_policy="prepaid_only",
        model_version="rules-1", reasons=[
            {"code": "famous_name",
             "detail": "registered name matches a famous politician (Dmitry Medvedev)"},
            {"code": "ip_country_mismatch", "detail": "IP address is in US, registration "
                                                      "country RU"}]))
    card = apply_survey_answered(card, SurveyAnswered(
        survey_id="s-1", customer_id="c-1", kind="quality_survey", rating=2,
        comment="call me on +79001234567, Dima"))
    card["notes"] = [{"note_id": "n-1", "text": "his wife Anna calls for him", "by": "op-1",
                      "by_name": "Anna Operator", "at": "2026-11-28T10:00:00+00:00"}]
    return caller_card(card, None)


def test_an_analysts_caller_card_names_nobody() -> None:
    card = full_card()
    assert "Medvedev" in card.model_dump_json() and "Anna" in card.model_dump_json()

    shown = analyst_card(card)

    flat = json.dumps(shown, ensure_ascii=False)
    for value in ("Medvedev", "Dmitry", "Dima", "9001234567", "L-77", "Anna"):
        assert value not in flat, value
    assert not {"full_name", "phone", "card_number", "notes"} & set(shown)
    assert (shown["customer_id"], shown["category"], shown["payment_policy"]) == (
        "c-1", "vip", "prepaid_only")
    assert [r["code"] for r in shown["risk"]["reasons"]] == ["famous_name",
                                                             "ip_country_mismatch"]
    assert shown["risk"]["reasons"][0]["detail"] == "registered name matches a famous politician"
    assert shown["risk"]["reasons"][1]["detail"].endswith("registration country RU")
    assert shown["last_survey"]["rating"] == 2 and "comment" not in shown["last_survey"]


def test_an_analysts_card_drops_the_common_name_a_reason_matched() -> None:
    registered = CustomerRegistered(
        customer_id="c-2", full_name="Ivan Ivanov", phone="+79001234568", country="RU",
        person_type="individual", category="ordinary", entered_by="operator")
    card = apply_scored(card_from_registration(registered), CustomerScored(
        customer_id="c-2", score=50, band="medium", payment_policy="prepaid_only",
        model_version="rules-1", reasons=[
            {"code": "common_name",
             "detail": "registered name is a common real name, also a placeholder (Ivan Ivanov)"}]))
    shown = analyst_card(caller_card(card, None))
    assert "Ivanov" not in json.dumps(shown, ensure_ascii=False)
    assert shown["risk"]["reasons"][0]["code"] == "common_name"
