"""The benchmarks run at any hour: `make bench` at 3 a.m. must not fail on quiet hours."""

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.notify import daytime_prefix


@pytest.mark.parametrize("month", [1, 4, 7, 10])  # summer and winter time on both hemispheres
def test_the_notify_benchmark_finds_a_zone_in_daytime_every_quarter_hour(month: int) -> None:
    start = datetime(2026, month, 15, tzinfo=UTC)
    for quarter in range(24 * 4):
        prefix, _digits, zone = daytime_prefix(start + timedelta(minutes=15 * quarter))
        assert prefix.startswith("+") and zone
