"""Risk reasons in the operator's language: one sentence per code scoring can emit."""

from pathlib import Path

import pytest
import yaml

from services.registry.domain.reasons import REASON_TEXT, reason_text

ROOT = Path(__file__).parents[3]
SCORING_RULES = ROOT / "services" / "scoring" / "rules.yaml"


def scored_codes() -> list[str]:
    return sorted(yaml.safe_load(SCORING_RULES.read_text(encoding="utf-8"))["weights"])


@pytest.mark.parametrize("code", scored_codes())
def test_every_code_scoring_weighs_has_a_sentence(code: str) -> None:
    assert code in REASON_TEXT


def test_the_velocity_codes_are_among_them() -> None:
    assert {"velocity_ip", "velocity_card_holder", "velocity_email_domain"} <= set(REASON_TEXT)


@pytest.mark.parametrize("code", sorted(REASON_TEXT))
def test_every_sentence_is_in_english_russian_and_persian(code: str) -> None:
    texts = REASON_TEXT[code]
    assert set(texts) == {"en", "ru", "fa"}
    assert all(text.strip() == text and text.endswith(".") for text in texts.values())
    assert any("\u0400" <= ch <= "\u04ff" for ch in texts["ru"])  # Cyrillic
    assert any("\u0600" <= ch <= "\u06ff" for ch in texts["fa"])  # Arabic script


def test_a_reason_reads_in_the_operators_language() -> None:
    assert reason_text("placeholder_name", "fa") == REASON_TEXT["placeholder_name"]["fa"]
    assert reason_text("disposable_email", "ru") == "Одноразовый адрес электронной почты."


def test_a_missing_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REASON_TEXT, "new_signal", {"en": "A new signal."})
    assert reason_text("new_signal", "fa") == "A new signal."


def test_an_unknown_code_reads_as_itself() -> None:
    assert reason_text("from_a_newer_scoring", "ru") == "from_a_newer_scoring"
