"""Scoring's settings (environment ``CRM_*``) and its live configuration: the scoring
configuration in force, reloaded from its configuration file (``rules.yaml``) when the file
changes.

An analyst retunes ``rules.yaml`` without a release: every use (at most once per
``check_interval_s``) compares the file's modification time and size with the loaded
version's. A file that does not load keeps the previous configuration in force and is
reported once per change of the file, never with the file's contents.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from services.scoring.domain import DEFAULT_RULES_PATH, ConfigError, ScoringConfig, load_config
from shared.settings import ServiceSettings, _env


class ScoringSettings(ServiceSettings):
    service_name: str = "scoring"
    http_port: int = Field(8001, validation_alias=_env("CRM_SCORING_PORT"))
    rules_path: Path = Field(
        DEFAULT_RULES_PATH, validation_alias=_env("CRM_SCORING_RULES"),
        description="The scoring rules file; reloaded when it changes.",
    )
    rules_check_interval_s: float = Field(
        2.0, validation_alias=_env("CRM_SCORING_RULES_CHECK_S"),
        description="How often, at most, the rules file is checked for changes.",
    )


log = logging.getLogger(__name__)

Stamp = tuple[int, int]  # (mtime_ns, size)
# What a use case is given: a call returning the scoring configuration in force now.
CurrentConfig = Callable[[], ScoringConfig]


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class LiveConfig:
    """The current ``ScoringConfig`` of one configuration file; ``current`` is a
    ``CurrentConfig``."""

    def __init__(
        self, path: str | Path, check_interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.check_interval_s = check_interval_s
        self._clock = clock
        self._stamp = _stamp(self.path)
        # Start-up fails loudly: a service must not run without a valid configuration.
        self._config = load_config(self.path)
        self._checked_at = clock()
        self._rejected: Stamp | None = None
        self.reloads = 0
        self.rejections = 0
        log.info("scoring rules %s loaded from %s", self._config.model_version, self.path)

    def current(self) -> ScoringConfig:
        """The configuration in force, reloading it first if the file changed."""
        if self._clock() - self._checked_at >= self.check_interval_s:
            self.refresh()
        return self._config

    def refresh(self) -> None:
        """Reload now if the file changed; keep the previous configuration if it does not
        load."""
        self._checked_at = self._clock()
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._stamp or stamp == self._rejected:
            return
        try:
            config = load_config(self.path)
        except ConfigError as error:
            self._rejected = stamp
            self.rejections += 1
            # The message names the file, the setting and the rule; no customer data.
            log.error("scoring rules not reloaded, %s stays in force: %s",
                      self._config.model_version, error)
            return
        previous, self._config, self._stamp = self._config.model_version, config, stamp
        self._rejected = None
        self.reloads += 1
        log.info("scoring rules reloaded: %s -> %s", previous, config.model_version)

    async def refresh_job(self) -> None:
        """For ``runtime.every``: notice a changed (or broken) file without traffic."""
        self.refresh()
