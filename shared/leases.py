"""Leases: a periodic job that changes shared data runs on one replica at a time.

Replicas of a service share its database (``CRM_REPLICAS``, the Kubernetes deployments), and
each runs the same timers. A job such as loyalty's tier recompute or notify's pending expiry
takes the job's lease before it runs: one document per job in the ``leases`` collection,
``{_id: job, holder, until}``, taken with one conditional upsert (atomic on the server): by
the first replica to ask, by its holder again, or by anyone once ``until`` has passed (the
holder died). While the job runs its holder extends the lease; when it ends, the lease is
kept until one interval after the run began, so the other replicas' timers, firing within
that interval, do not run the job again.

Moments are the replicas' clocks (UTC): keep them in sync (NTP), as every server is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from shared.clock import utc_now
from shared.database import Database

log = logging.getLogger(__name__)

COLLECTION = "leases"
#: The least a running job's lease reaches ahead, however short its interval.
MIN_HOLD = timedelta(seconds=30)


def this_process() -> str:
    """Who holds a lease: the host (a pod's name), the process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    def __init__(self, db: Database, holder: str | None = None) -> None:
        self._collection = db.collection(COLLECTION)
        self.holder = holder or this_process()

    async def take(self, job: str, hold: timedelta) -> bool:
        """Take (or keep) ``job``'s lease until ``hold`` from now; whether this process has it."""
        now = utc_now()
        try:
            await self._collection.update_one(
                {"_id": job, "$or": [{"holder": self.holder}, {"until": {"$lte": now}}]},
                {"$set": {"holder": self.holder, "until": now + hold, "taken_at": now}},
                upsert=True)
        except DuplicateKeyError:  # another holder's lease is running: the upsert's insert
            return False
        return True

    async def keep_until(self, job: str, until: datetime) -> None:
        """Hold ``job``'s lease until ``until`` (if this process still holds it)."""
        await self._collection.update_one({"_id": job, "holder": self.holder},
                                          {"$set": {"until": until}})

    @contextlib.asynccontextmanager
    async def running(self, job: str, interval: timedelta) -> AsyncIterator[bool]:
        """``async with leases.running(job, interval) as mine:`` run the job if ``mine``.

        The lease is renewed while the block runs and kept until one interval after it
        began (or released at once when it raised, so another replica may try)."""
        began = utc_now()
        hold = max(interval, MIN_HOLD)
        if not await self.take(job, hold):
            yield False
            return
        renewing = asyncio.create_task(self._renew(job, hold))
        failed = False
        try:
            yield True
        except BaseException:
            failed = True
            raise
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            until = utc_now() if failed else max(began + interval, utc_now())
            try:
                await self.keep_until(job, until)
            except Exception as error:  # it expires by itself
                log.warning("lease %s: could not set its end (%s)", job, type(error).__name__)

    async def _renew(self, job: str, hold: timedelta) -> None:
        while True:
            await asyncio.sleep(hold.total_seconds() / 3)
            try:
                await self.keep_until(job, utc_now() + hold)
            except Exception as error:
                log.warning("lease %s: renewal failed (%s)", job, type(error).__name__)
