"""Password hashes: argon2id (argon2-cffi, RFC 9106 parameters), computed off the event loop.

A check for a login that does not exist verifies against a dummy hash, so it takes as
long as a real one and the timing tells nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Checked:
    ok: bool
    needs_rehash: bool = False


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None, concurrency: int = 2) -> None:
        # Each hash takes 64 MiB for ~50 ms: a few at a time keep memory and the CPU in bounds.
        self.hasher = hasher or PasswordHasher()
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def check(self, stored_hash: str | None, password: str) -> Checked:
        if self._dummy is None:
            self._dummy = await self.hash("not a password of anyone")
        async with self._slots:
            return await asyncio.to_thread(self._check, stored_hash, password)

    def _check(self, stored_hash: str | None, password: str) -> Checked:
        try:
            self.hasher.verify(stored_hash or self._dummy or "", password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Checked(False)
        if stored_hash is None:
            return Checked(False)
        return Checked(True, self.hasher.check_needs_rehash(stored_hash))
