"""The rules for single values the registry is given or makes up: a person's name, an email
address, an IP address, a purchase's amount, and fresh ids.

The request bodies in ``api.schemas`` (and the operator models) call these rules; they raise
``ValueError``, which pydantic reports as a validation error naming the field.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import uuid
from decimal import Decimal
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

from shared.contracts.types import Text

_SPACES = re.compile(r"\s+")


def person_name(value: str) -> str:
    """A name as stored: one line, tabs and runs of spaces collapsed."""
    # Stricter than Text: a name is one line. Tabs (pasted from spreadsheets) and runs of
    # spaces are typing noise; other control characters are refused.
    if any(unicodedata.category(ch) == "Cc" and ch != "\t" for ch in value):
        raise ValueError("name contains control characters")
    return _SPACES.sub(" ", value).strip()


def email_address(value: str) -> str:
    """An email address in its normalised form (its syntax only: nothing is looked up)."""
    try:
        # No DNS look-ups: registration must work offline and fast.
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address: {exc}") from None
    return result.normalized


def ip_address(value: str) -> str:
    """An IPv4 or IPv6 address in its canonical spelling."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError("ip must be an IPv4 or IPv6 address") from None


def purchase_amount(value: Decimal) -> Decimal:
    """A purchase's amount: never zero; negative amounts are refunds."""
    if value == 0:
        raise ValueError("amount must not be zero (negative amounts are refunds)")
    return value


def refund_is_negative(amount: Decimal, refund_of: str | None) -> bool:
    """A refund (``refund_of`` set) reverses a purchase, so its amount is negative."""
    return refund_of is None or amount <= 0


PersonName = Annotated[Text, AfterValidator(person_name)]
Email = Annotated[str, Field(max_length=254, examples=["anna@example.ru"]),
                  AfterValidator(email_address)]
IpAddress = Annotated[str, Field(max_length=45, examples=["5.255.255.5"]),
                      AfterValidator(ip_address)]


def new_id(prefix: str) -> str:
    """A fresh id such as ``c-3f2a...``: ``c`` customer, ``i`` interaction, ``p`` purchase."""
    return f"{prefix}-{uuid.uuid4().hex}"
