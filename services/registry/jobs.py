"""Registry's periodic jobs, and ``schedule`` that puts them on the runtime."""

from __future__ import annotations

from datetime import timedelta

from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.clock import utc_now
from shared.service import ServiceRuntime

FORGET_OLD_CALLS_EVERY_S = 600


async def forget_old_calls(runtime: ServiceRuntime, repo: RegistryRepository,
                           retention: timedelta) -> None:
    """Calls are kept ``retention`` after they start (``CRM_CALL_RETENTION_HOURS``)."""
    cutoff = utc_now() - retention
    async with runtime.command():
        await repo.forget_calls_before(cutoff)


def schedule(runtime: ServiceRuntime, repo: RegistryRepository,
             settings: RegistrySettings) -> None:
    """Every job of registry, on the runtime's timer."""
    retention = timedelta(hours=settings.call_retention_hours)
    runtime.every("forget-old-calls", FORGET_OLD_CALLS_EVERY_S,
                  lambda: forget_old_calls(runtime, repo, retention))
