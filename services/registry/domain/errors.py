"""Everything the registry can refuse, in the registry's words; ``api.errors`` alone maps each
kind to an HTTP status.

Two families: ``Refused`` (a command the stored state does not allow, carrying the facts the
caller is told) and ``DomainError`` (a rule broken by the input itself). ``InvalidPhone`` is the
shared phone normaliser's refusal, re-exported so that the registry's refusals are read here.
Messages never quote a phone number, a name or an email: they may reach logs.
"""

from __future__ import annotations

from typing import Any

from shared.phones import InvalidPhone

__all__ = [
    "CardNumberTaken",
    "CategoryExists",
    "CategoryInUse",
    "CategoryNotFound",
    "Conflict",
    "CustomerNotFound",
    "DomainError",
    "ExtensionTaken",
    "InvalidPhone",
    "LastAdmin",
    "LoginTaken",
    "NotFound",
    "OperatorNotFound",
    "PhoneTaken",
    "Refused",
    "SourceClash",
    "SourceExists",
    "SourceInUse",
    "SourceNotFound",
    "UnknownCategory",
    "UnknownCustomer",
    "UnknownSource",
    "Unprocessable",
]


class DomainError(Exception):
    """A registry rule was broken by the input (never a bug or an outage)."""


class UnknownCategory(DomainError, ValueError):
    """A category slug that is not in the list of categories."""

    def __init__(self, valid: list[str]) -> None:
        self.valid = sorted(valid)
        super().__init__(f"unknown category; valid categories are: {', '.join(self.valid)}")



class Refused(Exception):
    """A command the current state does not allow; ``detail`` is what the caller is told:
    the message and the facts behind it."""

    def __init__(self, message: str, **facts: Any) -> None:
        super().__init__(message)
        self.message = message
        self.facts = facts

    @property
    def detail(self) -> dict[str, Any]:
        return {"message": self.message, **self.facts}


class NotFound(Refused):
    """The thing the command acts on does not exist."""


class Conflict(Refused):
    """The command clashes with what is already stored."""


class Unprocessable(Refused):
    """The command refers to something else that does not exist (a customer, a source)."""


class PhoneTaken(Conflict):
    """``customer_id`` names the owner only for those who may look the number up anyway."""

    def __init__(self, customer_id: str | None) -> None:
        facts = {"customer_id": customer_id} if customer_id else {}
        super().__init__("this phone number is already registered", **facts)
        self.customer_id = customer_id


class CardNumberTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this loyalty card number belongs to another customer",
                         field="card_number")


class CustomerNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no customer with this id")


class UnknownCustomer(Unprocessable):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: no customer with this id", field=field)


class CategoryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no category with this slug")


class CategoryExists(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"category {slug!r} already exists", slug=slug)


class CategoryInUse(Conflict):
    def __init__(self, slug: str, customers: int) -> None:
        super().__init__(
            f"category {slug!r} is used by {customers} customer(s); move them first",
            slug=slug, customers=customers,
        )


class OperatorNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no operator with this id")


class LoginTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this login is taken", field="login")


class ExtensionTaken(Conflict):
    def __init__(self, operator_id: str) -> None:
        super().__init__("this extension belongs to another operator", field="extension",
                         operator_id=operator_id)


class LastAdmin(Conflict):
    def __init__(self) -> None:
        super().__init__("at least one active admin must remain: make someone else admin first")


class SourceNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no source with this slug")


class SourceExists(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"source {slug!r} already exists", slug=slug)


class SourceClash(Conflict):
    """A title or synonym that, once normalised, already names another source."""

    def __init__(self, other: str, spelling: str) -> None:
        super().__init__(f"{spelling!r} already names source {other!r}", source=other,
                         spelling=spelling)


class SourceInUse(Conflict):
    def __init__(self, slug: str, customers: int) -> None:
        super().__init__(
            f"source {slug!r} is used by {customers} customer(s); move them first",
            slug=slug, customers=customers,
        )


class UnknownSource(Unprocessable):
    def __init__(self, valid: list[str]) -> None:
        super().__init__(f"source: not in the list of sources; valid sources are: "
                         f"{', '.join(sorted(valid))} (or their titles and synonyms)",
                         field="source", valid=sorted(valid))
