"""SMS texts in the customer's language, from the YAML files in ``services/notify/templates``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import yaml

TemplateKind = Literal[
    "quality_survey",
    "winback_survey",
    "why_us_survey",
    "thank_you_referral",
    "thank_you_gold",
    "clarify",
    "opted_out",
    "points_expiry",
    "thank_you_manual",
    "thank_you_manual_points",
    "thank_you_complaint",
    "thank_you_complaint_points",
]
TEMPLATE_KINDS: tuple[str, ...] = get_args(TemplateKind)
LANGUAGES: tuple[str, ...] = ("en", "ru", "fa")
DEFAULT_LANGUAGE = "en"
# The longest employee label that keeps a quality survey in one segment in every language.
EMPLOYEE_LABEL_MAX = 18

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@cache
def templates_for(language: str) -> Mapping[str, str]:
    """The templates of one language, read once from ``templates/<language>.yaml``."""
    path = TEMPLATE_DIR / f"{language}.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must map template names to texts")
    return {str(name): str(text) for name, text in loaded.items()}


def _clean(value: object, language: str) -> str:
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if language == "fa" and text.isascii() and text.isdigit():
        return text.translate(_PERSIAN_DIGITS)
    return text


def render(
    kind: TemplateKind, language: str | None, context: Mapping[str, object] | None = None
) -> str:
    """The SMS text of ``kind`` in ``language``, English when the language is unknown.

    A quality survey without an ``employee`` in the context asks about "our service" instead
    of naming someone. The employee label is cut to ``EMPLOYEE_LABEL_MAX`` characters, control
    characters are removed from every value, and numbers are written in Persian digits in
    Persian texts. A placeholder missing from the context raises ``KeyError``.
    """
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    values = {
        key: _clean(value, lang) for key, value in (context or {}).items() if value is not None
    }
    name: str = kind
    if kind == "quality_survey":
        employee = values.get("employee", "")[:EMPLOYEE_LABEL_MAX].strip()
        if employee:
            values["employee"] = employee
        else:
            name = "quality_survey_team"
    return templates_for(lang)[name].format_map(values)
