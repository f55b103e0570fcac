"""Sign-in and token checks: what a person's token costs each request, and a sign-in.

    python -m benchmarks.auth

In process, no network: a session token verified the first time (signature, claims) and
again (remembered until it expires), the directory check on top, a machine-client token,
and an argon2id hash and check (a sign-in costs one check; creating a person one hash).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from services.registry.domain.passwords import Passwords
from shared.auth import Authenticator, PeopleDirectory, Role, TokenRegistry
from shared.auth.keys import SigningKeys
from shared.auth.tokens import Issuer, SessionIssuer, TokenVerifier
from shared.contracts import OperatorUpdated
from shared.database.memory import MemoryDatabase
from shared.settings import ServiceSettings


def report(what: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    print(f"{what:<44} p50 {statistics.median(samples) * 1e6:9.1f} µs   "
          f"p99 {p99 * 1e6:9.1f} µs   ({len(samples)} runs)", flush=True)


async def main() -> None:
    keys = SigningKeys(Path(tempfile.mkdtemp()) / "keys")
    keys.ensure()
    sessions = SessionIssuer(keys, "crm-registry", "crm", timedelta(minutes=15),
                             timedelta(hours=12))
    db = MemoryDatabase("bench")
    people = PeopleDirectory(db)
    await people.mirror(OperatorUpdated(operator_id="op-1", display_name="Anna", active=True))
    clients = TokenRegistry(ServiceSettings(admin_token=SecretStr("x" * 40)))

    def verifier() -> TokenVerifier:
        return TokenVerifier([Issuer("crm-registry", "crm", keys, local=True)])

    def token() -> str:
        return sessions.issue(operator_id="op-1", role=Role.OPERATOR, display_name="Anna",
                              session_version=0, now=datetime.now(UTC)).token

    fresh = [token() for _ in range(2000)]
    check = verifier()
    samples = []
    for presented in fresh:
        started = time.perf_counter()
        await check.verify(presented)
        samples.append(time.perf_counter() - started)
    report("session token, first time (signature)", samples)

    auth = Authenticator(clients, verifier(), people)
    one = token()
    await auth.verify(one)
    samples = []
    for _ in range(20_000):
        started = time.perf_counter()
        await auth.verify(one)
        samples.append(time.perf_counter() - started)
    report("session token again + directory check", samples)

    samples = []
    for _ in range(20_000):
        started = time.perf_counter()
        await auth.verify("x" * 40)
        samples.append(time.perf_counter() - started)
    report("machine-client token", samples)

    passwords = Passwords()
    hashed = await passwords.hash("a long enough secret")
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        await passwords.hash("a long enough secret")
        samples.append(time.perf_counter() - started)
    report("argon2id hash (a person created)", samples)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        await passwords.check(hashed, "a long enough secret")
        samples.append(time.perf_counter() - started)
    report("argon2id check (a sign-in)", samples)


if __name__ == "__main__":
    asyncio.run(main())
