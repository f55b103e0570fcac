"""Benchmarks: each module prints figures and asserts nothing about speed.

When ``CRM_BENCH_RESULTS`` names a file, each module also records its figures there as
JSON (``record``); ``python -m benchmarks`` gathers them into ``bench/results.json``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

RESULTS_ENV = "CRM_BENCH_RESULTS"
HALF = 0.5  # the paced phase runs at half the burst's measured maximum
PACED_SECONDS = 10.0


@contextlib.asynccontextmanager
async def database_server(enabled: bool) -> AsyncIterator[str | None]:
    """With ``enabled``, a MongoDB wire-protocol server (SecantusDB) on loopback for the
    services, and its URL; else None (the services' in-process stand-in)."""
    if not enabled:
        yield None
        return
    from shared.runtime.mongo_server import MongoServer

    server = MongoServer()
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


def open_store(name: str, data_dir: Path, mongodb_url: str | None) -> Any:
    """Where a benchmark builds a service's data: the server's database of that service, or
    the stand-in's data directory (journaled, replayed by the service at start)."""
    if mongodb_url:
        from shared.database.mongo import MongoDatabase

        return MongoDatabase(mongodb_url, f"crm_{name}")
    from shared.database.memory import MemoryDatabase

    return MemoryDatabase(f"crm_{name}", data_dir, fsync=False)


def settle_load_generator() -> None:
    """Collect what filling a data directory left in this process, and freeze the rest.

    Building 100,000 documents here leaves garbage and long-lived objects that the next
    full collection walks: measured, a 0.3-0.5 s stall of the load generator in its first
    seconds of sending, which showed up as a server-side p99 (from scheduled times).
    """
    gc.collect()
    gc.freeze()


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank; NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def paced_rate(burst_per_s: float, override: float | None = None) -> float:
    """The paced phase's rate: ``override`` if given, else half the burst's maximum."""
    return override if override else max(1.0, HALF * burst_per_s)


def latency_figures(prefix: str, latencies_ms: Sequence[float]) -> dict[str, float]:
    """``<prefix>_p50_ms`` and ``<prefix>_p99_ms`` of a phase's latencies."""
    return {f"{prefix}_p50_ms": round(percentile(latencies_ms, 0.50), 1),
            f"{prefix}_p99_ms": round(percentile(latencies_ms, 0.99), 1)}


def merged(results: Mapping[str, Any], section: str, figures: Mapping[str, Any]
           ) -> dict[str, Any]:
    """``results`` with ``figures`` merged into its ``section`` (a figure overwrites one of
    the same name; the section's other figures and other sections stay)."""
    before = results.get(section)
    return {**results, section: {**(before if isinstance(before, dict) else {}), **figures}}


def record(section: str, figures: Mapping[str, Any], path: Path | None = None) -> None:
    """Merge ``figures`` into ``section`` of the results file (``path``, else the file
    ``CRM_BENCH_RESULTS`` names; neither: nothing is written)."""
    if path is None:
        named = os.environ.get(RESULTS_ENV)
        if not named:
            return
        path = Path(named)
    results = json.loads(path.read_text()) if path.exists() else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(merged(results, section, figures), indent=2, default=str))
    partial.replace(path)  # a reader never sees half a file
