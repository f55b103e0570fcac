"""Field types of the public event contract, with their validation rules."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)
# ISO 4217 also lists metals, drawing rights and test codes: nothing a customer pays in.
_NOT_MONEY = frozenset({"XAG", "XAU", "XPD", "XPT", "XDR", "XSU", "XUA", "XBA", "XBB", "XBC",
                        "XBD", "XTS", "XXX"})
_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies) - _NOT_MONEY
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

MAX_TEXT = 200
MAX_MONEY = Decimal("1000000000")  # one billion per purchase is already absurd for a call center


def _country(value: str) -> str:
    code = value.upper()
    if code not in _COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def is_currency_code(code: str) -> bool:
    """Whether ``code`` is exactly an ISO 4217 code of money (upper case, no metals)."""
    return code in _CURRENCIES


def _currency(value: str) -> str:
    code = value.upper()
    if code not in _CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def _e164(value: str) -> str:
    if not _E164.match(value):
        raise ValueError("phone must be in E.164 form, e.g. +79001234567")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("a category slug is 1-40 characters of a-z, 0-9, '-' and '_'")
    return value


# Spaces and dashes (any Unicode dash) are how a payment card number is printed and typed.
_CARD_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")


def luhn_valid(digits: str) -> bool:
    """The Luhn check of a string of decimal digits (the check digit last)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def looks_like_payment_card(value: str) -> bool:
    """13 to 19 digits (spaces and dashes aside) that pass the Luhn check: the shape of a
    payment card number (PAN), which the suite must never take in or keep."""
    digits = _CARD_SEPARATORS.sub("", value)
    return 13 <= len(digits) <= 19 and digits.isdecimal() and luhn_valid(digits)


def _not_a_payment_card(value: Any) -> Any:
    # Before the identifier pattern, so "4111 1111 1111 1111" hears why, not "pattern".
    # The message never repeats the value: it may reach logs and dead letters.
    if isinstance(value, str) and looks_like_payment_card(value):
        raise ValueError("this looks like a payment card number (13-19 digits passing the "
                         "Luhn check); card_number takes a loyalty card number, never a bank "
                         "card's")
    return value


def _money_in(value: Any) -> Any:
    # Money travels as a decimal string; a float would already have lost cents.
    if isinstance(value, float | bool):
        raise ValueError("money must be a decimal string such as '1250.00', not a float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("money must be a decimal string such as '1250.00'") from None
    return value


def _money_range(value: Decimal) -> Decimal:
    if abs(value) > MAX_MONEY:
        raise ValueError(f"amount exceeds the limit of {MAX_MONEY}")
    return value


def _safe_text(value: str) -> str:
    # Control characters have no business in names or comments and break logs and SMS.
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
        raise ValueError("text contains control characters")
    return value


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    Field(min_length=2, max_length=2, examples=["RU"], description="ISO 3166-1 alpha-2"),
]
CurrencyCode = Annotated[
    str,
    AfterValidator(_currency),
    Field(min_length=3, max_length=3, examples=["RUB"], description="ISO 4217"),
]
Phone = Annotated[
    str, AfterValidator(_e164), Field(examples=["+79001234567"], description="E.164 phone number")
]
Slug = Annotated[str, AfterValidator(_slug), Field(examples=["vip"])]
Text = Annotated[str, AfterValidator(_safe_text), Field(min_length=1, max_length=MAX_TEXT)]
LongText = Annotated[str, AfterValidator(_safe_text), Field(max_length=1000)]
Identifier = Annotated[
    str,
    Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", examples=["c-1f3a"]
    ),
]
LoyaltyCardNumber = Annotated[
    Identifier,
    BeforeValidator(_not_a_payment_card),
    Field(description="A loyalty card number; a payment card number (13-19 digits passing "
                      "the Luhn check) is refused", examples=["L-100234"]),
]
Money = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    Field(allow_inf_nan=False, max_digits=16, decimal_places=4),
    AfterValidator(_money_range),
    PlainSerializer(lambda value: str(value), return_type=str, when_used="json"),
]

# A running total (a customer's value): same form as Money, without the per-purchase cap.
MoneyTotal = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    Field(allow_inf_nan=False, max_digits=24, decimal_places=4),
    PlainSerializer(lambda value: str(value), return_type=str, when_used="json"),
]

PersonType = Literal["individual", "company"]
Language = Literal["en", "ru", "fa"]
EnteredBy = Literal["operator", "self"]
RiskBand = Literal["low", "medium", "high"]
PaymentPolicy = Literal["any", "prepaid_only", "irreversible_only"]
Segment = Literal["chatty", "bargain_hunter", "time_waster", "interested", "company", "regular"]
Channel = Literal["call", "chat", "email", "sms"]
Outcome = Literal["purchase", "no_purchase", "complaint", "info", "trial"]
Tier = Literal["standard", "silver", "gold"]
# points_expiry: a round-2 addition (the notice before points expire).
NotificationKind = Literal["quality_survey", "winback_survey", "thank_you", "why_us_survey",
                           "points_expiry"]
NotificationStatus = Literal["sent", "suppressed", "failed"]
StaffRole = Literal["operator", "analyst", "admin"]
# Why an operator thanked a customer (crm.customer.thanked.v1); "referral" and "gold" are
# also the causes of notify's automatic thank-yous.
ThankYouReason = Literal[
    "loyal_customer", "complaint_resolved", "referral", "big_purchase", "other"]
