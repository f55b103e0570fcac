from typing import Any

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import RegistrationRequest


def registration(**overrides: Any) -> dict[str, Any]:
    return {"full_name": "Anna Petrova", "phone": "8 900 123-45-67", "country": "RU"} | overrides


def error_messages(raised: pytest.ExceptionInfo[ValidationError]) -> str:
    return " | ".join(error["msg"] for error in raised.value.errors())


def test_minimal_registration_gets_e164_phone_and_defaults() -> None:
    request = RegistrationRequest.model_validate(registration())
    assert request.phone == "+79001234567"
    assert request.person_type == "individual"
    assert request.category == "ordinary"


def test_phone_is_read_with_the_registration_country() -> None:
    request = RegistrationRequest.model_validate(registration(phone="(212) 555-0123", country="US"))
    assert request.phone == "+12125550123"


def test_invalid_phone_is_a_validation_error_of_the_phone_field() -> None:
    with pytest.raises(ValidationError, match="not a valid phone number") as raised:
        RegistrationRequest.model_validate(registration(phone="8 900 12"))
    assert [error["loc"] for error in raised.value.errors()] == [("phone",)]


def test_international_phone_is_read_even_when_the_country_is_invalid() -> None:
    with pytest.raises(ValidationError) as raised:
        RegistrationRequest.model_validate(registration(phone="+7 900 123 45 67", country="XX"))
    assert [error["loc"] for error in raised.value.errors()] == [("country",)]


def test_full_name_is_trimmed_and_inner_spaces_collapsed() -> None:
    request = RegistrationRequest.model_validate(registration(full_name="  Anna \t  Petrova  "))
    assert request.full_name == "Anna Petrova"


def test_persian_name_with_zero_width_non_joiner_is_kept() -> None:
    name = "مهدی\u200cپور"
    assert RegistrationRequest.model_validate(registration(full_name=name)).full_name == name


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_empty_or_overlong_full_name_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        RegistrationRequest.model_validate(registration(full_name=name))


def test_full_name_with_control_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        RegistrationRequest.model_validate(registration(full_name="Anna\x00Petrova"))


def test_full_name_with_a_newline_is_refused() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        RegistrationRequest.model_validate(registration(full_name="Anna\nPetrova"))


def test_missing_full_name_is_refused() -> None:
    data = registration()
    del data["full_name"]
    with pytest.raises(ValidationError) as raised:
        RegistrationRequest.model_validate(data)
    assert raised.value.errors()[0]["loc"] == ("full_name",)


def test_email_domain_is_lower_cased() -> None:
    request = RegistrationRequest.model_validate(registration(email="Anna@Example.RU"))
    assert request.email == "Anna@example.ru"


@pytest.mark.parametrize("email", ["anna", "anna@", "anna@@example.ru", "anna@example"])
def test_malformed_email_is_refused_with_a_reason(email: str) -> None:
    with pytest.raises(ValidationError) as raised:
        RegistrationRequest.model_validate(registration(email=email))
    assert "invalid email address" in error_messages(raised)


def test_email_of_a_domain_without_mail_servers_is_accepted_offline() -> None:
    # Deliverability is not checked: no DNS at registration time.
    request = RegistrationRequest.model_validate(registration(email="a@no-mx-here-12345.com"))
    assert request.email == "a@no-mx-here-12345.com"


def test_country_is_upper_cased() -> None:
    assert RegistrationRequest.model_validate(registration(country="ru")).country == "RU"


def test_unknown_country_is_refused() -> None:
    with pytest.raises(ValidationError, match="ISO 3166-1 alpha-2"):
        RegistrationRequest.model_validate(registration(country="XX"))


def test_unknown_person_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        RegistrationRequest.model_validate(registration(person_type="robot"))


def test_category_must_look_like_a_slug() -> None:
    with pytest.raises(ValidationError, match="slug"):
        RegistrationRequest.model_validate(registration(category="VIP Customers!"))


def test_misspelt_field_is_refused_not_dropped() -> None:
    with pytest.raises(ValidationError) as raised:
        RegistrationRequest.model_validate(registration(emial="anna@example.ru"))
    assert raised.value.errors()[0]["type"] == "extra_forbidden"
    assert raised.value.errors()[0]["loc"] == ("emial",)


def test_client_cannot_claim_entered_by() -> None:
    with pytest.raises(ValidationError):
        RegistrationRequest.model_validate(registration(entered_by="self"))


@pytest.mark.parametrize(
    ("ip", "expected"), [("5.255.255.5", "5.255.255.5"), ("2001:DB8::0:1", "2001:db8::1")]
)
def test_ip_addresses_are_validated_and_normalised(ip: str, expected: str) -> None:
    assert RegistrationRequest.model_validate(registration(ip=ip)).ip == expected


@pytest.mark.parametrize("ip", ["300.1.1.1", "localhost", "1.2.3"])
def test_invalid_ip_is_refused(ip: str) -> None:
    with pytest.raises(ValidationError, match="IPv4 or IPv6"):
        RegistrationRequest.model_validate(registration(ip=ip))


def test_unsupported_language_is_refused() -> None:
    with pytest.raises(ValidationError):
        RegistrationRequest.model_validate(registration(language="de"))


def test_registration_becomes_a_registered_event_with_operator_fields() -> None:
    request = RegistrationRequest.model_validate(
        registration(email="anna@example.ru", language="ru", card_number="LC-1001")
    )
    event = request.to_event("c-1", entered_by="operator", operator_id="op-7")
    assert event.customer_id == "c-1"
    assert event.phone == "+79001234567"
    assert event.entered_by == "operator"
    assert event.operator_id == "op-7"
    assert event.card_number == "LC-1001"
    assert event.language == "ru"
