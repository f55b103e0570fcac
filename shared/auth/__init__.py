"""Access: people sign in as themselves (session JWTs), machine clients use role tokens."""

from shared.auth.access import (
    Admin,
    Analyst,
    Authenticator,
    Operator,
    Reader,
    TokenRegistry,
    Unauthenticated,
    authenticate,
    bearer_token,
    require,
)
from shared.auth.limits import PerPersonLimit, PersonalReads, RateLimiter, too_many
from shared.auth.people import PeopleDirectory, Person
from shared.auth.principal import Principal, Role

__all__ = [
    "Admin",
    "Analyst",
    "Authenticator",
    "Operator",
    "PeopleDirectory",
    "PerPersonLimit",
    "Person",
    "PersonalReads",
    "Principal",
    "RateLimiter",
    "Reader",
    "Role",
    "TokenRegistry",
    "Unauthenticated",
    "authenticate",
    "bearer_token",
    "require",
    "too_many",
]
