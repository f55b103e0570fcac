"""Claims: replicas sharing notify's database split the due messages, none sent twice.

Each replica's sender finds due messages in its own mirror of ``due`` (``DueIndex``), so two
replicas see the same ones. Before a round sends, it claims its candidates with one update
of their ``due`` documents (``claimed_by``, ``claim_until``): a document is claimed if it is
due and nobody holds it, its claim has expired, or this process holds it already. Each
document's update is atomic on the server, so a message is claimed by one replica at a time;
the round sends only what it claimed (a second read says which, when not all were).

A claim lasts ``lease`` (5 minutes) and is renewed while the round sends. One message can
take the HTTP gateway about 3 minutes at worst (4 attempts, each with its timeout for the
connection, the request and the answer, and 3 waits of up to 30 s for a ``Retry-After``);
a round of 500, 32 at a time, up to sixteen times that: renewed, a slow round keeps its
claims, and the lease bounds only how long a dead replica's messages wait. A claim ends
with the message's record (sent or failed: the document is deleted; tried again later: it
is rewritten without the claim), or is released when the round fails. A replica that dies
leaves its claims to expire; the others take them at their next mirror reload after that.

Claims are written in transactions of their own, retried on a write conflict with backoff
(``retry_transient``). A write outside a transaction that meets a ``due`` document another
transaction holds (a consumed unit, or the open transaction of a replica killed mid-round,
held until the server aborts it) waits on the server instead; on SecantusDB such a wait
deadlocked the server's transaction registry (seen in the replica fault test).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from services.notify.repository import NotifyRepository
from shared.database.port import Database
from shared.retries import retry_transient

log = logging.getLogger(__name__)
T = TypeVar("T")

#: A candidate whose ``due`` document is not there yet is looked for again this soon: the
#: consume path adds it to the mirror before its transaction commits (MongoDB has no lock
#: that would make the sender wait, as the stand-in has).
RECHECK = timedelta(seconds=1)


@dataclass
class Claims:
    repo: NotifyRepository
    db: Database
    holder: str  # shared.leases.this_process()
    clock: Callable[[], datetime]
    lease: timedelta = timedelta(minutes=5)
    # How long a candidate without a ``due`` document is looked for again: longer than a
    # consumed unit takes to commit; after that it was sent (by another replica) or undone.
    missing_grace: timedelta = timedelta(seconds=30)
    _missing_since: dict[str, datetime] = field(default_factory=dict, repr=False)

    async def claim(self, candidates: list[str], now: datetime) -> list[str]:
        """The candidates this process now holds, to send. The others: a message not due
        any more goes back to the mirror at its new time, one not written yet is looked
        for again shortly, one another replica holds is left to it (its mirror reload
        brings it back here if that replica dies and its claim expires)."""
        if not candidates:
            return []
        matched = await self._in_transaction(
            lambda: self.repo.claim_due(candidates, self.holder, now, now + self.lease),
            "sms claims: claim")
        if matched == len(candidates):
            for notification_id in candidates:
                self._missing_since.pop(notification_id, None)
            return candidates
        found = await self.repo.due_documents(candidates)
        mine: list[str] = []
        for notification_id in candidates:
            row = found.get(notification_id)
            if row is None:
                self._look_again(notification_id, now)
                continue
            self._missing_since.pop(notification_id, None)
            if row.get("claimed_by") == self.holder:
                mine.append(notification_id)
            elif row.get("claimed_by") is None:  # rescheduled or released meanwhile
                self.repo.due_index.add(notification_id, max(row["send_at"], now + RECHECK))
        return mine

    def _look_again(self, notification_id: str, now: datetime) -> None:
        first = self._missing_since.setdefault(notification_id, now)
        if now - first < self.missing_grace:
            self.repo.due_index.add(notification_id, now + RECHECK)
        else:
            del self._missing_since[notification_id]

    @contextlib.asynccontextmanager
    async def renewed(self, claimed: list[str]) -> AsyncIterator[None]:
        """Keep the claims while the block runs (a slow gateway outlasting the lease)."""
        renewing = asyncio.create_task(self._renew(claimed))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, claimed: list[str]) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self._in_transaction(lambda: self.repo.extend_claims(
                    claimed, self.holder, self.clock() + self.lease), "sms claims: renew")
            except Exception as error:  # it lasts a lease anyway; the next renewal may work
                log.warning("sms claims: renewal failed (%s)", type(error).__name__)

    async def release(self, claimed: list[str]) -> None:
        """After a failed round: let any replica take them (best effort: they expire)."""
        try:
            await self._in_transaction(
                lambda: self.repo.release_claims(claimed, self.holder), "sms claims: release")
        except Exception as error:
            log.warning("sms claims: release failed (%s); they expire in %s",
                        type(error).__name__, self.lease)

    async def _in_transaction(self, write: Callable[[], Awaitable[T]], what: str) -> T:
        async def once() -> T:
            async with self.db.transaction():
                return await write()
        return await retry_transient(once, what)
