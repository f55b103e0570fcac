"""Who is asking: a person signed in as themselves, or a machine client with a role token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as its token proves.

    ``subject`` is the person's ``operator_id`` (``op-…`` from registry's directory, or
    ``oidc:…`` for a person of the company's identity provider), or ``client:<role>`` for a
    machine client (``CRM_*_TOKEN``): scripts and other systems act as a client, not a person.
    """

    role: Role
    subject: str
    person: bool
    display_name: str | None = None

    @property
    def operator_id(self) -> str | None:
        """The person behind the request, for ``operator_id``/``employee_id``; None for a client."""
        return self.subject if self.person else None

    @property
    def sees_personal_data(self) -> bool:
        """Operators and admins see customers' names, phones, emails and card numbers;
        analysts get projections that name customers by ``customer_id`` only."""
        return self.role in (Role.OPERATOR, Role.ADMIN)

    @property
    def actor(self) -> str:
        """Who did it, for ``changed_by`` and the history: the person or the client."""
        return self.subject

    @property
    def actor_name(self) -> str:
        """A readable name of the actor for the history."""
        if self.person:
            return self.display_name or self.subject
        return f"{self.role.value} client"

    @classmethod
    def client(cls, role: Role) -> Principal:
        return cls(role=role, subject=f"client:{role.value}", person=False)
