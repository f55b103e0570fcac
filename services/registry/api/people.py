"""What registry's HTTP API needs to sign people in, built once from its settings: the
signing keys, the session issuer, the password hasher, the sign-in throttle and the audit
trail; ``prepare`` readies them at start (and makes the first admin of an empty directory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.registry.domain.operators import (
    LoginThrottle,
    normalize_login,
    password_problem,
)
from services.registry.domain.passwords import Passwords
from services.registry.handlers import operators as directory
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.audit import AuditTrail
from shared.auth.keys import SigningKeys
from shared.auth.tokens import SessionIssuer
from shared.clock import utc_now
from shared.service import ServiceRuntime


@dataclass(frozen=True)
class People:
    keys: SigningKeys
    issuer: SessionIssuer
    passwords: Passwords
    throttle: LoginThrottle
    audit: AuditTrail

    @classmethod
    def from_settings(cls, settings: RegistrySettings, runtime: ServiceRuntime) -> People:
        keys = SigningKeys(settings.key_dir())
        lifetime = timedelta(minutes=settings.session_minutes)
        return cls(
            keys=keys,
            issuer=SessionIssuer(keys, settings.auth_issuer, settings.auth_audience, lifetime,
                                 timedelta(hours=settings.session_max_hours)),
            passwords=Passwords(),
            throttle=LoginThrottle(lock_after=settings.login_lock_after,
                                   lock_for=timedelta(minutes=settings.login_lock_minutes)),
            audit=AuditTrail(runtime.db),
        )

    async def prepare(self, settings: RegistrySettings, runtime: ServiceRuntime,
                      repo: RegistryRepository) -> None:
        """The signing key (created on first start) and, for an empty directory, the first
        admin from ``CRM_BOOTSTRAP_ADMIN_PASSWORD``."""
        try:
            self.keys.ensure()
        except OSError as error:
            raise SystemExit(f"registry: cannot keep signing keys in {self.keys.directory}: "
                             f"{error.strerror}; set CRM_AUTH_KEY_DIR to a writable "
                             "directory shared by registry's replicas") from None
        await repo.expire_login_attempts(self.throttle.lock_for)
        password = settings.bootstrap_admin_password
        if password is None or not password.get_secret_value():
            return
        if await repo.any_operator():
            return
        try:
            login = normalize_login(settings.bootstrap_admin_login)
        except ValueError as error:
            raise SystemExit(f"registry: CRM_BOOTSTRAP_ADMIN_LOGIN: {error}") from None
        problem = password_problem(password.get_secret_value(), login)
        if problem:
            raise SystemExit(f"registry: CRM_BOOTSTRAP_ADMIN_PASSWORD: {problem}")
        password_hash = await self.passwords.hash(password.get_secret_value())
        async with runtime.command():
            event = await directory.bootstrap_admin(
                repo, self.audit, login, password_hash,
                utc_now())
            if event is not None:
                await runtime.publish([event])
