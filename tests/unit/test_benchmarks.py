"""The benchmarks run at any hour (`make bench` at 3 a.m. must not fail on quiet hours), and
their figures are gathered, set against the bare loop and checked against the targets."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks import RESULTS_ENV, paced_rate, record
from benchmarks.__main__ import ORDER, steps, summarize, table
from benchmarks.notify import daytime_prefix


@pytest.mark.parametrize("month", [1, 4, 7, 10])  # summer and winter time on both hemispheres
def test_the_notify_benchmark_finds_a_zone_in_daytime_every_quarter_hour(month: int) -> None:
    start = datetime(2026, month, 15, tzinfo=UTC)
    for quarter in range(24 * 4):
        prefix, _digits, zone = daytime_prefix(start + timedelta(minutes=15 * quarter))
        assert prefix.startswith("+") and zone


RAW = {
    "reference": {"first": {"events_per_s": 30_000}, "last": {"events_per_s": 34_000}},
    "scoring": {"events_per_s": 16_000, "burst_p50_ms": 900.0, "burst_p99_ms": 1800.0,
                "paced_rate_per_s": 8_000, "paced_p50_ms": 40.0, "paced_p99_ms": 260.0},
    "loyalty": {"events_per_s": 3_200, "paced_rate_per_s": 1_600, "paced_p99_ms": 90.0},
    "caller_card": {"at_500_per_s": {"p50_ms": 1.5, "p99_ms": 4.0, "achieved_rps": 500.0},
                    "at_1000_per_s": {"p50_ms": 2.5, "p99_ms": 12.0, "achieved_rps": 990.0},
                    "highest_rate_p99_under_10ms": 750},
    "rss_mb": {"registry": 250.0, "loyalty": 320.5},
}


def test_the_reference_is_the_mean_of_its_runs_and_each_stage_gets_its_ratio() -> None:
    results = summarize(RAW, {"cpu_count": 2}, "2026-11-28T12:00:00+00:00")
    assert results["reference_events_per_s"] == 32_000
    assert results["stages"]["scoring"]["ratio"] == 0.5
    assert results["scoring_ratio"] == 0.5 and results["loyalty_ratio"] == 0.1
    assert "notify" not in results["stages"]  # not run, not invented
    assert results["machine"] == {"cpu_count": 2} and results["date"].startswith("2026")


def test_without_a_reference_run_no_stage_has_a_ratio() -> None:
    results = summarize({key: value for key, value in RAW.items() if key != "reference"})
    assert results["reference_events_per_s"] is None
    assert results["stages"]["scoring"]["ratio"] is None
    assert not [check for check in results["targets"] if check["what"].endswith("ratio")]


def test_the_targets_are_checked_against_the_figures_and_reported() -> None:
    met = {check["what"]: check["met"] for check in summarize(RAW)["targets"]}
    assert met == {"scoring ratio": True, "loyalty ratio": False,
                   "scoring paced p99 ms": False,
                   "caller card 500/s p99 ms": True, "caller card 1000/s p99 ms": False,
                   "loyalty peak RSS MB": False, "registry peak RSS MB": True}


def test_the_table_shows_each_stage_the_caller_card_and_peak_rss() -> None:
    text = table(summarize(RAW))
    assert "reference (bare loop): 32,000 events/s (runs: first 30,000, last 34,000)" in text
    scoring = next(line for line in text.splitlines() if line.startswith("scoring "))
    assert [cell.strip() for cell in scoring.split("|")] == [
        "scoring", "16,000", "900 / 1,800", "8,000", "40.0 / 260", "0.50",
        "ratio >= 0.40: met; paced p99 < 250 ms: MISSED"]
    assert "caller card at 1000/s" in text and "p99 < 10 ms: MISSED" in text
    assert any(line.startswith("loyalty ") and "< 300 MB: MISSED" in line
               for line in text.splitlines())


def test_record_merges_figures_into_their_section_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    record("reference", {"first": {"events_per_s": 1}}, path)
    record("rss_mb", {"registry": 200.0}, path)
    record("rss_mb", {"notify": 150.0}, path)
    record("reference", {"last": {"events_per_s": 2}}, path)
    assert json.loads(path.read_text()) == {
        "reference": {"first": {"events_per_s": 1}, "last": {"events_per_s": 2}},
        "rss_mb": {"registry": 200.0, "notify": 150.0}}


def test_record_writes_nothing_when_no_results_file_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    record("scoring", {"events_per_s": 1})
    assert list(tmp_path.iterdir()) == []


def test_the_paced_phase_runs_at_half_the_burst_unless_a_rate_is_given() -> None:
    assert paced_rate(1_200.0) == 600.0
    assert paced_rate(1_200.0, override=30.0) == 30.0


def test_a_full_run_measures_the_reference_first_and_last() -> None:
    plan = steps(ORDER)
    assert plan[0] == ["reference", "--run", "first"]
    assert plan[-1] == ["reference", "--run", "last"]
    assert steps(["scoring"]) == [["scoring"]]


def test_a_stage_over_a_mongodb_server_is_a_second_column_with_its_own_ratio() -> None:
    raw = RAW | {"scoring_mongodb": {"events_per_s": 320, "burst_p99_ms": 4000.0}}
    results = summarize(raw)
    assert results["stages_mongodb"]["scoring"]["ratio"] == 0.01
    assert results["scoring_mongodb_ratio"] == 0.01
    assert results["stages"]["scoring"]["events_per_s"] == 16_000  # the stand-in's, untouched
    assert "MongoDB server" in table(results) and "320" in table(results)
    assert steps(["scoring:mongodb"]) == [["scoring", "--mongodb"]]


def test_the_analytics_reports_are_checked_and_tabled_one_line_each() -> None:
    raw = RAW | {"analytics": {"customers": 100_000, "days": 730, "first_run_scan_s": 2.0,
                               "reports": {"profitability by category, year":
                                           {"p50_ms": 50.0, "p99_ms": 60.0},
                                           "gold": {"p50_ms": 900.0, "p99_ms": 1200.0}}}}
    results = summarize(raw)
    met = {check["what"]: check["met"] for check in results["targets"]}
    assert met["analytics profitability by category, year p99 ms"] is True
    assert met["analytics gold p99 ms"] is False
    text = table(results)
    assert "analytics at 100,000 customers, 730 days of totals" in text
    assert any(line.startswith("gold ") and "p99 < 250 ms: MISSED" in line
               for line in text.splitlines())
