"""Scoring's periodic job: every process notices a changed (or broken) configuration file
without waiting for traffic."""

from __future__ import annotations

from services.scoring.settings import LiveConfig
from shared.service import ServiceRuntime


def schedule(runtime: ServiceRuntime, config: LiveConfig) -> None:
    runtime.every("scoring-rules-reload", config.check_interval_s, config.refresh_job,
                  each_replica=True)  # every process reloads its own copy
