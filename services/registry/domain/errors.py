"""Errors the registry's rules raise; the HTTP layer maps them to 4xx responses."""

from __future__ import annotations

from shared.phones import InvalidPhone

__all__ = ["DomainError", "InvalidPhone", "UnknownCategory"]


class DomainError(Exception):
    """A registry rule was broken by the input (never a bug or an outage)."""


class UnknownCategory(DomainError, ValueError):
    """A category slug that is not in the list of categories."""

    def __init__(self, valid: list[str]) -> None:
        self.valid = sorted(valid)
        super().__init__(f"unknown category; valid categories are: {', '.join(self.valid)}")
