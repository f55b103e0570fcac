from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.scoring.domain import DEFAULT_RULES_PATH, REASON_CODES, ConfigError, load_config


def write_rules(tmp_path: Path, change) -> Path:
    rules = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    change(rules)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_rules_weigh_every_reason_code() -> None:
    assert set(load_config().weights) == set(REASON_CODES)


def test_changed_weight_takes_effect_on_reload(tmp_path: Path) -> None:
    path = write_rules(tmp_path, lambda r: r["weights"].update(famous_name=5))
    assert load_config(path).weight("famous_name") == 5


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_broken_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("weights: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_misspelt_reason_code_is_rejected(tmp_path: Path) -> None:
    path = write_rules(tmp_path, lambda r: r["weights"].update(famous_nmae=60))
    with pytest.raises(ConfigError, match="famous_nmae"):
        load_config(path)


def test_inverted_bands_are_rejected(tmp_path: Path) -> None:
    path = write_rules(tmp_path, lambda r: r["bands"].update(medium_from=80, high_from=70))
    with pytest.raises(ConfigError, match="medium_from"):
        load_config(path)


def test_policy_rules_without_a_catch_all_are_rejected(tmp_path: Path) -> None:
    path = write_rules(tmp_path, lambda r: r["payment_policy"].pop())
    with pytest.raises(ConfigError, match="catch-all"):
        load_config(path)


def test_error_names_the_field_at_fault(tmp_path: Path) -> None:
    path = write_rules(tmp_path, lambda r: r["velocity"]["ip"].update(window_seconds=-1))
    with pytest.raises(ConfigError, match=r"velocity\.ip\.window_seconds"):
        load_config(path)
