"""A job run by hand runs as of now, or as of a moment within its window: never in the
future (a future lapse check lapses everyone, and each gets a win-back SMS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.loyalty import jobs
from services.loyalty.app import create_app
from services.loyalty.settings import LoyaltySettings

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
INTERVAL = timedelta(minutes=5)
ADMIN = "d" * 32


def test_without_a_moment_a_job_runs_as_of_now() -> None:
    assert jobs.as_of(None, NOW, INTERVAL) == NOW


def test_a_moment_within_the_window_is_taken_and_read_as_utc() -> None:
    assert jobs.as_of(NOW - INTERVAL, NOW, INTERVAL) == NOW - INTERVAL
    naive = (NOW - timedelta(minutes=1)).replace(tzinfo=None)
    assert jobs.as_of(naive, NOW, INTERVAL) == NOW - timedelta(minutes=1)
    moscow = datetime.fromisoformat("2026-06-15T15:02:00+03:00")
    assert jobs.as_of(moscow, NOW, INTERVAL) == NOW + timedelta(minutes=2)


def test_clocks_may_disagree_by_five_minutes_either_way() -> None:
    assert jobs.as_of(NOW + jobs.CLOCK_SKEW, NOW, INTERVAL) == NOW + jobs.CLOCK_SKEW
    earliest = NOW - INTERVAL - jobs.CLOCK_SKEW
    assert jobs.as_of(earliest, NOW, INTERVAL) == earliest


def test_a_future_moment_is_refused() -> None:
    with pytest.raises(jobs.OutsideWindow, match="future"):
        jobs.as_of(NOW + jobs.CLOCK_SKEW + timedelta(seconds=1), NOW, INTERVAL)
    with pytest.raises(jobs.OutsideWindow, match="future"):
        jobs.as_of(NOW + timedelta(days=365), NOW, INTERVAL)


def test_a_moment_before_the_last_scheduled_run_is_refused() -> None:
    with pytest.raises(jobs.OutsideWindow, match="at most one run"):
        jobs.as_of(NOW - INTERVAL - jobs.CLOCK_SKEW - timedelta(seconds=1), NOW, INTERVAL)


async def run(job: str, **params: str) -> httpx.Response:
    """The route on the real app, not started: a refusal needs no database."""
    app = create_app(LoyaltySettings(operator_token="o" * 32, analyst_token="a" * 32,
                                     admin_token=ADMIN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(f"/api/loyalty/jobs/{job}/run", params=params,
                                 headers={"Authorization": f"Bearer {ADMIN}"})


@pytest.mark.parametrize("job", ["lapse", "tiers"])
async def test_the_job_route_refuses_a_future_now_with_422(job: str) -> None:
    refused = await run(job, now="2999-01-01T00:00:00Z")
    assert refused.status_code == 422
    assert "future" in refused.json()["detail"]


@pytest.mark.parametrize("job", ["lapse", "tiers"])
async def test_the_job_route_refuses_a_now_older_than_the_jobs_interval(job: str) -> None:
    refused = await run(job, now="2020-01-01T00:00:00Z")
    assert refused.status_code == 422
    assert "at most one run" in refused.json()["detail"]
