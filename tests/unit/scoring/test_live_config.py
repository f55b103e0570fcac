"""The live configuration reloads its file without a restart; a bad file keeps the
configuration in force."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from services.scoring.domain import DEFAULT_RULES_PATH, ConfigError
from services.scoring.handlers.registration import on_registered
from services.scoring.repository import ScoringRepository
from services.scoring.settings import LiveConfig
from shared.database.memory import MemoryDatabase

ORIGINAL = DEFAULT_RULES_PATH.read_text(encoding="utf-8")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))  # explicit: filesystems tick coarsely


def version(text: str, model_version: str) -> str:
    return re.sub(r"^model_version: .*$", f"model_version: {model_version}", text, flags=re.M)


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    write(path, version(ORIGINAL, "v1"), 1_000_000_000)
    return path


async def test_a_changed_rules_file_gives_a_new_model_version(rules_file, registration) -> None:
    clock = Clock()
    config = LiveConfig(rules_file, check_interval_s=2, clock=clock)
    repo = ScoringRepository(MemoryDatabase("test"))
    first = await on_registered(repo, config.current, registration(customer_id="a"))
    write(rules_file, version(ORIGINAL, "v2"), 2_000_000_000)
    clock.now = 2.5
    second = await on_registered(repo, config.current, registration(customer_id="b"))
    assert [first[0].model_version, second[0].model_version] == ["v1", "v2"]


def test_the_file_is_not_checked_more_often_than_the_interval(rules_file) -> None:
    clock = Clock()
    config = LiveConfig(rules_file, check_interval_s=2, clock=clock)
    write(rules_file, version(ORIGINAL, "v2"), 2_000_000_000)
    clock.now = 1.0
    assert config.current().model_version == "v1"
    clock.now = 2.0
    assert config.current().model_version == "v2"


def test_a_broken_file_keeps_the_previous_rules_and_logs_an_error(
    rules_file, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    config = LiveConfig(rules_file, check_interval_s=0, clock=clock)
    write(rules_file, "model_version: [unclosed\n", 2_000_000_000)
    with caplog.at_level(logging.ERROR, logger="services.scoring.settings"):
        assert config.current().model_version == "v1"
        assert config.current().model_version == "v1"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once per change of the file, not once per use
    assert "v1 stays in force" in errors[0].getMessage()


def test_an_invalid_weight_is_rejected_and_a_fixed_file_loads_again(rules_file) -> None:
    config = LiveConfig(rules_file, check_interval_s=0)
    broken = version(ORIGINAL, "v2").replace("  famous_name:", "  famouz_name:")
    write(rules_file, broken, 3_000_000_000)
    assert config.current().model_version == "v1"
    assert config.rejections == 1
    write(rules_file, version(ORIGINAL, "v3"), 4_000_000_000)
    assert config.current().model_version == "v3"


def test_a_missing_rules_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        LiveConfig(tmp_path / "absent.yaml")
