"""The operator directory's rules: who a person is, what an admin may change, how often a
login may fail. Pure: hashing and storage are the handlers' business."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from shared.contracts.types import Language, StaffRole

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_EXTENSION = re.compile(r"^[0-9A-Za-z*#+-]{1,20}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 256


def login_key(login: str) -> str:
    """The form a login is stored and compared in (case does not matter)."""
    return login.strip().casefold()


def normalize_login(value: str) -> str:
    """The stored form of a valid login; ValueError for an invalid one."""
    key = login_key(value)
    if not _LOGIN.match(key):
        raise ValueError("a login is 2-64 characters of a-z, 0-9, '.', '_', '@' and '-'")
    return key


def _extension(value: str) -> str:
    if not _EXTENSION.match(value):
        raise ValueError("an extension is 1-20 characters of digits, letters, *, #, + and -")
    return value


Login = Annotated[str, Field(max_length=64, examples=["apetrova"]), AfterValidator(normalize_login)]
Extension = Annotated[str, Field(max_length=20, examples=["1042"]), AfterValidator(_extension)]


def password_problem(password: str, login: str) -> str | None:
    """Why a password may not be used, or None."""
    if len(password) < PASSWORD_MIN:
        return f"a password has at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"a password has at most {PASSWORD_MAX} characters"
    if login and login_key(login) in password.casefold():
        return "a password may not contain the login"
    return None


def _unique_languages(value: list[Language]) -> list[Language]:
    return list(dict.fromkeys(value))


#: Languages a person speaks with callers, each once (a repeat is dropped, order kept).
Languages = Annotated[list[Language], AfterValidator(_unique_languages)]


@dataclass(frozen=True)
class OperatorProfile:
    """A person to add to the directory, as checked values: everything but the password,
    which arrives already hashed."""

    login: str
    display_name: str
    role: StaffRole
    display_names: Mapping[Language, str] = field(default_factory=dict)
    extension: str | None = None
    languages: Sequence[Language] = ()


#: Changes that end the person's current sessions (their tokens stop working at once).
ENDS_SESSIONS = frozenset({"role", "password"})


def demotes_an_active_admin(document: Mapping[str, Any], changed: Mapping[str, Any]) -> bool:
    """Whether the change leaves one fewer active admin (disables one, or gives them another
    role): allowed only while another active admin remains."""
    demoted = document.get("role") == "admin" and (
        changed.get("active") is False or changed.get("role", "admin") != "admin")
    return demoted and bool(document.get("active", True))


def directory_action(changed: Mapping[str, Any]) -> Literal["disabled", "enabled", "changed"]:
    """The action the directory's history records for a change."""
    if changed.get("active") is False:
        return "disabled"
    if changed.get("active") is True:
        return "enabled"
    return "changed"


def ends_sessions(changed: dict[str, Any], was_active: bool) -> bool:
    """Whether a change must end the person's sessions: disabled, new role, new password."""
    return bool(ENDS_SESSIONS & changed.keys()) or (was_active and changed.get("active") is False)


@dataclass(frozen=True)
class LoginThrottle:
    """Failed sign-ins of one login: answers slow down after ``free_failures`` and the login
    locks for ``lock_for`` after ``lock_after`` failures in a row. Failures older than
    ``lock_for`` are forgotten. Unknown logins are counted the same way, so the answers
    never tell whether a login exists."""

    free_failures: int = 3
    lock_after: int = 10
    lock_for: timedelta = timedelta(minutes=15)
    max_delay_s: float = 8.0

    def current_failures(self, failures: int, last_failure_at: datetime | None,
                         now: datetime) -> int:
        if last_failure_at is None or now - last_failure_at >= self.lock_for:
            return 0
        return failures

    def locked_until(self, failures: int, last_failure_at: datetime | None,
                     now: datetime) -> datetime | None:
        if last_failure_at is None or failures < self.lock_after:
            return None
        until = last_failure_at + self.lock_for
        return until if until > now else None

    def delay_s(self, failures: int) -> float:
        """How long to wait before answering the ``failures``-th failure in a row."""
        if failures <= self.free_failures:
            return 0.0
        return min(self.max_delay_s, 0.5 * 2 ** (failures - self.free_failures - 1))
