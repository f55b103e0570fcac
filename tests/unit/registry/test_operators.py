"""The operator directory: admins create, change and disable people; sign-ins are throttled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.registry.api.schemas import NewOperator, OperatorPatch
from services.registry.domain.errors import (
    ExtensionTaken,
    LastAdmin,
    LoginTaken,
    OperatorNotFound,
)
from services.registry.domain.operators import (
    LoginThrottle,
    demotes_an_active_admin,
    directory_action,
)
from services.registry.domain.passwords import Passwords
from services.registry.handlers import operators as directory
from services.registry.repository import RegistryRepository
from shared.auth import Principal, Role
from tests.unit.registry.conftest import audit

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ADMIN = Principal(Role.ADMIN, "op-admin", person=True, display_name="Olga Admin")
THROTTLE = LoginThrottle(free_failures=3, lock_after=10, lock_for=timedelta(minutes=15))


def new(login: str = "apetrova", **changes: Any) -> NewOperator:
    fields: dict[str, Any] = {
        "login": login, "display_name": "Anna Petrova", "role": "operator",
        "password": "a long enough secret", "extension": "1042",
        "display_names": {"ru": "Анна Петрова"}, "languages": ["ru", "en"],
    }
    return NewOperator.model_validate(fields | changes)


async def create(repo: RegistryRepository, request: NewOperator) -> dict[str, Any]:
    view, _ = await directory.create_operator(repo, audit(repo), request.profile(),
                                              "argon2-hash", ADMIN, NOW)
    return view


async def test_a_new_operator_is_stored_and_published_without_the_password(
        repo: RegistryRepository) -> None:
    view, event = await directory.create_operator(repo, audit(repo), new().profile(),
                                                  "argon2-hash", ADMIN, NOW)
    assert view["operator_id"].startswith("op-") and view["login"] == "apetrova"
    assert "password_hash" not in view and "password" not in view
    assert (event.operator_id, event.display_name, event.active, event.role) == (
        view["operator_id"], "Anna Petrova", True, "operator")
    assert event.display_names == {"ru": "Анна Петрова"}
    assert "argon2-hash" not in event.model_dump_json()


async def test_a_login_is_unique_whatever_its_case(repo: RegistryRepository) -> None:
    await create(repo, new("apetrova"))
    with pytest.raises(LoginTaken):
        await create(repo, new("APetrova", extension="1043"))


async def test_an_extension_belongs_to_one_person(repo: RegistryRepository) -> None:
    first = await create(repo, new("apetrova"))
    with pytest.raises(ExtensionTaken) as taken:
        await create(repo, new("ivanov", extension="1042"))
    assert taken.value.detail["operator_id"] == first["operator_id"]


async def change(repo: RegistryRepository, operator_id: str, password_hash: str | None = None,
                 **fields: Any) -> tuple[dict[str, Any], Any]:
    return await directory.change_operator(
        repo, audit(repo), operator_id, OperatorPatch.model_validate(fields), password_hash,
        ADMIN, NOW)


async def test_disabling_a_person_ends_their_sessions(repo: RegistryRepository) -> None:
    person = await create(repo, new())
    view, event = await change(repo, person["operator_id"], active=False)
    assert view["active"] is False and event.active is False
    assert event.session_version == 1


async def test_a_new_role_or_password_ends_sessions_a_new_name_does_not(
        repo: RegistryRepository) -> None:
    person = await create(repo, new())
    _, renamed = await change(repo, person["operator_id"], display_name="Anna Sidorova")
    assert renamed.session_version == 0
    _, promoted = await change(repo, person["operator_id"], role="admin")
    assert promoted.session_version == 1
    _, new_password = await change(repo, person["operator_id"], password_hash="new-hash",
                                   password="another long secret")
    assert new_password.session_version == 2
    stored = await repo.operator(person["operator_id"])
    assert stored is not None and stored["password_hash"] == "new-hash"


async def test_a_change_to_the_same_values_publishes_nothing(repo: RegistryRepository) -> None:
    person = await create(repo, new())
    _, event = await change(repo, person["operator_id"], role="operator", extension="1042")
    assert event is None


async def test_an_extension_moves_and_frees_the_old_one(repo: RegistryRepository) -> None:
    person = await create(repo, new())
    await change(repo, person["operator_id"], extension="2001")
    assert await repo.extension_owner("2001") == person["operator_id"]
    assert await repo.extension_owner("1042") is None
    await change(repo, person["operator_id"], extension=None)
    assert await repo.extension_owner("2001") is None


async def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(
        repo: RegistryRepository) -> None:
    only = await create(repo, new("boss", role="admin", extension=None))
    with pytest.raises(LastAdmin):
        await change(repo, only["operator_id"], active=False)
    with pytest.raises(LastAdmin):
        await change(repo, only["operator_id"], role="analyst")
    await create(repo, new("deputy", role="admin", extension=None))
    view, _ = await change(repo, only["operator_id"], role="analyst")
    assert view["role"] == "analyst"


async def test_changing_someone_unknown_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(OperatorNotFound):
        await change(repo, "op-nobody", active=False)


async def test_the_history_names_who_changed_what_without_personal_values(
        repo: RegistryRepository) -> None:
    person = await create(repo, new())
    await change(repo, person["operator_id"], role="admin", display_name="Anna Sidorova")
    entries = await audit(repo).entries(f"operator:{person['operator_id']}")
    assert [entry["action"] for entry in entries] == ["changed", "created"]
    latest = entries[0]
    assert (latest["by"], latest["by_name"]) == ("op-admin", "Olga Admin")
    assert {"field": "role", "from": "operator", "to": "admin"} in latest["changes"]
    assert {"field": "display_name"} in latest["changes"]  # that it changed, not to what
    assert "Sidorova" not in str(entries)


async def test_the_first_admin_is_created_only_in_an_empty_directory(
        repo: RegistryRepository) -> None:
    event = await directory.bootstrap_admin(repo, audit(repo), "admin", "hash", NOW)
    assert event is not None and event.role == "admin"
    assert (await repo.operator_by_login("admin")) is not None
    assert await directory.bootstrap_admin(repo, audit(repo), "admin", "hash", NOW) is None


# Requests ---------------------------------------------------------------------------------
@pytest.mark.parametrize("password", ["short", "apetrova-forever-2026"])
def test_a_weak_password_is_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        new(password=password)


@pytest.mark.parametrize("login", ["a", "анна", "$where", "a b", "x" * 65])
def test_a_login_is_plain_latin(login: str) -> None:
    with pytest.raises(ValidationError):
        new(login=login)


def test_an_unknown_role_or_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        new(role="supervisor")
    with pytest.raises(ValidationError):
        new(password_hash="$argon2id$forged")


def test_a_patch_cannot_clear_the_name_or_the_role() -> None:
    with pytest.raises(ValidationError):
        OperatorPatch.model_validate({"role": None})
    assert OperatorPatch.model_validate({"extension": None}).changes() == {"extension": None}


# Sign-in throttle -------------------------------------------------------------------------
def test_answers_slow_down_after_a_few_failures_and_stay_bounded() -> None:
    delays = [THROTTLE.delay_s(failures) for failures in range(1, 12)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:6] == [0.5, 1.0, 2.0]
    assert max(delays) == THROTTLE.max_delay_s


def test_a_login_locks_after_too_many_failures_for_a_while() -> None:
    last = NOW
    assert THROTTLE.locked_until(9, last, NOW) is None
    assert THROTTLE.locked_until(10, last, NOW) == NOW + timedelta(minutes=15)
    assert THROTTLE.locked_until(10, last, NOW + timedelta(minutes=16)) is None


def test_old_failures_are_forgotten() -> None:
    assert THROTTLE.current_failures(7, NOW, NOW + timedelta(minutes=5)) == 7
    assert THROTTLE.current_failures(7, NOW, NOW + timedelta(minutes=15)) == 0


async def test_failures_are_counted_and_a_success_clears_them(
        repo: RegistryRepository) -> None:
    for expected in (1, 2, 3):
        assert await directory.record_sign_in(repo, THROTTLE, "ghost", False, NOW) == expected
    assert await directory.record_sign_in(repo, THROTTLE, "ghost", True, NOW) == 0
    assert await repo.login_attempt("ghost") is None


# Passwords --------------------------------------------------------------------------------
async def test_passwords_are_hashed_with_argon2id_and_checked() -> None:
    passwords = Passwords()
    hashed = await passwords.hash("a long enough secret")
    assert hashed.startswith("$argon2id$") and "a long enough secret" not in hashed
    assert (await passwords.check(hashed, "a long enough secret")).ok
    assert not (await passwords.check(hashed, "a long enough secreT")).ok
    assert not (await passwords.check(None, "a long enough secret")).ok
    assert not (await passwords.check("not-a-hash", "a long enough secret")).ok


def test_only_disabling_or_demoting_an_active_admin_needs_another_admin() -> None:
    admin = {"role": "admin", "active": True}
    assert demotes_an_active_admin(admin, {"active": False})
    assert demotes_an_active_admin(admin, {"role": "operator"})
    assert not demotes_an_active_admin(admin, {"display_name": "Olga"})
    assert not demotes_an_active_admin({"role": "admin", "active": False}, {"role": "operator"})
    assert not demotes_an_active_admin({"role": "operator"}, {"active": False})


def test_the_history_says_disabled_enabled_or_changed() -> None:
    assert directory_action({"active": False}) == "disabled"
    assert directory_action({"active": True, "role": "admin"}) == "enabled"
    assert directory_action({"role": "admin"}) == "changed"
