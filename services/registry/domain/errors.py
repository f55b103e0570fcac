"""Errors the registry's rules raise; the HTTP layer maps them to 4xx responses."""

from __future__ import annotations


class DomainError(Exception):
    """A registry rule was broken by the input (never a bug or an outage)."""


class InvalidPhone(DomainError, ValueError):
    """A phone number could not be read as a real number.

    It is also a ``ValueError`` so that pydantic validators turn it into a 422. The message
    never repeats the number: it may end up in logs, and phone numbers must not.
    """


class UnknownCategory(DomainError, ValueError):
    """A category slug that is not in the list of categories."""

    def __init__(self, valid: list[str]) -> None:
        self.valid = sorted(valid)
        super().__init__(f"unknown category; valid categories are: {', '.join(self.valid)}")
