"""`make bench`: every benchmark in turn, a table of the figures and ``bench/results.json``.

    python -m benchmarks                      # all: the reference first and again last
    python -m benchmarks scoring              # a subset (add ``reference`` for ratios)
    python -m benchmarks scoring:mongodb      # a stage on a MongoDB server (SecantusDB)

Each benchmark runs as its own process and records its figures in a scratch file
(``CRM_BENCH_RESULTS``); they are gathered here, each stage's events/s set against the
bare loop's (``ratio``) and the issue's targets checked. Targets are reported, never
asserted: the exit code says only whether every benchmark ran.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from benchmarks import RESULTS_ENV

ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = ROOT / "bench" / "results.json"
ORDER = ["reference", "database", "auth", "registry", "telephony", "scoring", "loyalty",
         "notify", "analytics", "scoring:mongodb", "loyalty:mongodb", "notify:mongodb",
         "reference"]
STAGES = ("scoring", "loyalty", "notify")
MIN_RATIO = 0.40
SCORING_PACED_P99_MS = 250.0
CARD_P99_MS = 10.0
RSS_MB = 300.0
ANALYTICS_P99_MS = 250.0  # an analyst's report at 100,000 customers


def summarize(raw: Mapping[str, Any], machine: Mapping[str, Any] | None = None,
              date: str | None = None) -> dict[str, Any]:
    """The results file from what the benchmarks recorded: the reference's mean, each
    stage's ``ratio`` to it, the targets checked, the machine and the date."""
    runs = {name: run["events_per_s"] for name, run in raw.get("reference", {}).items()}
    reference = round(mean(runs.values())) if runs else None
    stages = {name: {**raw[name], "ratio": ratio(raw[name].get("events_per_s"), reference)}
              for name in STAGES if name in raw}
    # The same stages with the service on a MongoDB server over the wire (second column).
    over_wire = {name: {**raw[f"{name}_mongodb"],
                        "ratio": ratio(raw[f"{name}_mongodb"].get("events_per_s"), reference)}
                 for name in STAGES if f"{name}_mongodb" in raw}
    results: dict[str, Any] = {
        "reference_events_per_s": reference, "reference_runs": runs, "stages": stages,
        **{f"{name}_ratio": stage["ratio"] for name, stage in stages.items()},
        "stages_mongodb": over_wire,
        **{f"{name}_mongodb_ratio": stage["ratio"] for name, stage in over_wire.items()},
        "caller_card": raw.get("caller_card", {}), "rss_mb": raw.get("rss_mb", {}),
        "analytics": raw.get("analytics", {}),
    }
    results["targets"] = targets(results)
    results["machine"] = dict(machine or {})
    results["date"] = date
    return results


def ratio(events_per_s: float | None, reference: float | None) -> float | None:
    """A stage's events/s over the bare loop's (None without either)."""
    if not events_per_s or not reference:
        return None
    return round(events_per_s / reference, 3)


def card_rates(caller_card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The caller card's fixed-rate figures by their rate ("500", "1000")."""
    return {key.removeprefix("at_").removesuffix("_per_s"): figures
            for key, figures in caller_card.items()
            if key.startswith("at_") and isinstance(figures, dict)}


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against what was measured (a figure not measured is left out):
    what, figure, target, met."""
    checks: list[dict[str, Any]] = []

    def check(what: str, figure: float | None, target: str, limit: float,
              at_least: bool = False) -> None:
        if figure is not None:
            met = figure >= limit if at_least else figure < limit
            checks.append({"what": what, "figure": figure, "target": target, "met": met})

    for name, stage in results["stages"].items():
        check(f"{name} ratio", stage.get("ratio"), f"ratio >= {MIN_RATIO:.2f}", MIN_RATIO,
              at_least=True)
    check("scoring paced p99 ms", results["stages"].get("scoring", {}).get("paced_p99_ms"),
          f"paced p99 < {SCORING_PACED_P99_MS:.0f} ms", SCORING_PACED_P99_MS)
    for rate, figures in card_rates(results["caller_card"]).items():
        check(f"caller card {rate}/s p99 ms", figures.get("p99_ms"),
              f"p99 < {CARD_P99_MS:.0f} ms", CARD_P99_MS)
    for service, megabytes in sorted(results["rss_mb"].items()):
        check(f"{service} peak RSS MB", megabytes, f"< {RSS_MB:.0f} MB", RSS_MB)
    for report, figures in results.get("analytics", {}).get("reports", {}).items():
        check(f"analytics {report} p99 ms", figures.get("p99_ms"),
              f"p99 < {ANALYTICS_P99_MS:.0f} ms", ANALYTICS_P99_MS)
    return checks


def table(results: Mapping[str, Any]) -> str:
    """The figures as text: the reference, the stages, the caller card, peak RSS."""
    checks = {check["what"]: check for check in results.get("targets", [])}

    def verdict(*whats: str) -> str:
        known = [checks[what] for what in whats if what in checks]
        return "; ".join(f"{check['target']}: {'met' if check['met'] else 'MISSED'}"
                         for check in known) or "-"

    runs = ", ".join(f"{name} {number(value)}"
                     for name, value in results.get("reference_runs", {}).items())
    lines = [f"reference (bare loop): {number(results.get('reference_events_per_s'))} "
             f"events/s (runs: {runs or 'none'})", ""]
    lines += columns(
        ["stage", "events/s", "burst p50/p99 ms", "paced rate", "paced p50/p99 ms", "ratio",
         "target"],
        [[name, number(stage.get("events_per_s")), pair(stage, "burst_p50_ms", "burst_p99_ms"),
          number(stage.get("paced_rate_per_s")), pair(stage, "paced_p50_ms", "paced_p99_ms"),
          number(stage.get("ratio"), 2),
          verdict(f"{name} ratio", *(["scoring paced p99 ms"] if name == "scoring" else []))]
         for name, stage in results.get("stages", {}).items()])
    over_wire = results.get("stages_mongodb", {})
    if over_wire:
        lines += ["", "the same stages with the service on a MongoDB server (SecantusDB) over "
                  "loopback, fewer events:", *columns(
            ["stage", "events/s", "burst p50/p99 ms", "paced rate", "paced p50/p99 ms",
             "ratio"],
            [[name, number(stage.get("events_per_s")),
              pair(stage, "burst_p50_ms", "burst_p99_ms"),
              number(stage.get("paced_rate_per_s")), pair(stage, "paced_p50_ms", "paced_p99_ms"),
              number(stage.get("ratio"), 3)] for name, stage in over_wire.items()])]
    card = results.get("caller_card", {})
    card_rows = [[f"caller card at {rate}/s", pair(figures, "p50_ms", "p99_ms"),
                  number(figures.get("achieved_rps")), verdict(f"caller card {rate}/s p99 ms")]
                 for rate, figures in card_rates(card).items()]
    if "highest_rate_p99_under_10ms" in card:
        card_rows.append([f"highest rate with p99 < {CARD_P99_MS:.0f} ms", "",
                          number(card["highest_rate_p99_under_10ms"]), ""])
    if card_rows:
        lines += ["", *columns(["caller card", "p50/p99 ms", "req/s", "target"], card_rows)]
    rss_rows = [[service, number(megabytes), verdict(f"{service} peak RSS MB")]
                for service, megabytes in sorted(results.get("rss_mb", {}).items())]
    if rss_rows:
        lines += ["", *columns(["service", "peak RSS MB", "target"], rss_rows)]
    analytics = results.get("analytics", {})
    if analytics.get("reports"):
        lines += ["", f"analytics at {number(analytics.get('customers'))} customers, "
                  f"{number(analytics.get('days'))} days of totals (first run's scan "
                  f"{number(analytics.get('first_run_scan_s'), 1)} s):", *columns(
            ["report", "p50/p99 ms", "target"],
            [[report, pair(figures, "p50_ms", "p99_ms"), verdict(f"analytics {report} p99 ms")]
             for report, figures in analytics["reports"].items()])]
    return "\n".join(lines)


def pair(figures: Mapping[str, Any], first: str, second: str) -> str:
    """Two latencies, with a decimal below 100 ms (where one matters)."""
    def short(value: Any) -> str:
        return number(value, 1 if isinstance(value, int | float) and value < 100 else 0)

    return f"{short(figures.get(first))} / {short(figures.get(second))}"


def number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else str(value)


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as aligned text under a header and a rule."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    return [line(header).rstrip(), "-+-".join("-" * width for width in widths),
            *(line(row).rstrip() for row in rows)]


def machine() -> dict[str, Any]:
    """Where the figures were taken: they mean little on another machine or commit."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True,  # noqa: S603, S607
                                  text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "git_commit": git("rev-parse", "HEAD") or None,
            # Uncommitted changes were measured too (others edit the same tree).
            "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "load_average_at_end": round(os.getloadavg()[0], 2)}


def steps(chosen: Sequence[str]) -> list[list[str]]:
    """The modules to run with their arguments: the reference's runs are named first, last."""
    out: list[list[str]] = []
    for choice in chosen:
        name, _, variant = choice.partition(":")
        if variant:
            out.append([name, f"--{variant}"])
        elif name == "reference":
            ran_before = any(step[0] == "reference" for step in out)
            out.append([name, "--run", "last" if ran_before else "first"])
        else:
            out.append([name])
    return out


def main(argv: list[str]) -> int:
    unknown = [name for name in argv
               if importlib.util.find_spec(f"benchmarks.{name.partition(':')[0]}") is None]
    if unknown:
        print(f"no benchmark module: {', '.join(unknown)}")
        return 2
    plan = steps(argv or ORDER)
    failed = []
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-results-") as scratch:
        raw_path = Path(scratch) / "raw.json"
        env = os.environ | {RESULTS_ENV: str(raw_path)}
        for number_, (name, *args) in enumerate(plan, start=1):
            print(f"\n[{number_}/{len(plan)}] {name} {' '.join(args)}".rstrip()
                  + f" (load average {os.getloadavg()[0]:.1f})", flush=True)
            started = time.perf_counter()
            code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *args],  # noqa: S603
                                   env=env)
            print(f"[{number_}/{len(plan)}] {name}: {'done' if code == 0 else f'FAILED ({code})'} "
                  f"in {time.perf_counter() - started:.0f}s", flush=True)
            if code:
                failed.append(name)
        raw = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    results = summarize(raw, machine(), datetime.now(UTC).isoformat(timespec="seconds"))
    RESULTS_PATH.parent.mkdir(exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n== figures ({time.perf_counter() - begun:.0f}s in all; targets reported, "
          f"not asserted) " + "=" * 20)
    print(table(results))
    print(f"\nwritten to {RESULTS_PATH.relative_to(ROOT)}"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
