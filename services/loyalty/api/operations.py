"""Running a periodic job by hand (ops)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query

from services.loyalty import jobs
from services.loyalty.api.context import Loyalty
from shared.auth import Admin
from shared.clock import utc_now


def install(app: FastAPI, loyalty: Loyalty) -> None:

    @app.post("/api/loyalty/jobs/{job}/run", tags=["ops"])
    async def run_job(job: jobs.JobName, principal: Admin,
                      now_: Annotated[datetime | None, Query(alias="now")] = None) -> Any:
        """Run a periodic job at once; ``now`` (ISO 8601) replays the run the schedule was
        about to make: not in the future, at most one job interval back (else 422)."""
        interval = timedelta(seconds=loyalty.jobs.interval_s(job))
        try:
            at = jobs.as_of(now_, utc_now(), interval)
        except jobs.OutsideWindow as refused:
            raise HTTPException(422, str(refused)) from None
        result = await loyalty.jobs.run(job, at)
        async with loyalty.runtime.command():
            await loyalty.audit.record("jobs", f"{job}_run", principal, utc_now(),
                                       job=job, as_of=at, result={
                                           k: v for k, v in result.items()
                                           if k not in ("job", "now")})
        return result
