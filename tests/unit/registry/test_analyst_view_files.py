"""Static checks of the analyst view (/analytics); the browser test draws it for real."""

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from services.notify.domain.inbound import WHY_US_REASONS, WINBACK_REASONS

STATIC = Path(__file__).parents[3] / "services" / "registry" / "static"
JS = (STATIC / "analytics.js").read_text(encoding="utf-8")
PAGE = (STATIC / "analytics.html").read_text(encoding="utf-8")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.testids: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if values.get("data-testid"):
            self.testids.append(str(values["data-testid"]))
        for name in ("src", "href"):
            if values.get(name):
                self.sources.append(str(values[name]))


def page() -> _Page:
    parsed = _Page()
    parsed.feed(PAGE)
    return parsed


def test_every_documented_id_is_on_the_page_with_its_test_id() -> None:
    documented = set(re.findall(r"#([a-z][a-z0-9-]*)", JS.split("*/", 1)[0]))
    parsed = page()
    assert documented - set(parsed.ids) == set()
    assert len(parsed.ids) == len(set(parsed.ids))
    assert set(parsed.ids) <= set(parsed.testids) | {"app-title", "profit-heading",
                                                      "value-heading", "lapsed-heading",
                                                      "ratings-heading", "referrals-heading"}


def test_the_page_loads_only_its_own_files() -> None:
    assert all(source.startswith("/") and not source.startswith("//")
               for source in page().sources), page().sources
    assert "<script>" not in PAGE and " style=" not in PAGE


def _tables() -> dict[str, set[str]]:
    body = JS.split("const TEXT = {", 1)[1].split("\n  };", 1)[0]
    tables = re.findall(r"\n    (en|ru|fa): \{(.*?)\n    \},", body, re.DOTALL)
    return {lang: set(re.findall(r'(?:^|,)\s*"?([a-z_.]+)"?: "', text, re.MULTILINE))
            for lang, text in tables}


def test_every_string_is_in_the_three_languages_with_every_reason() -> None:
    keys = _tables()
    assert set(keys) == {"en", "ru", "fa"}
    assert keys["en"] == keys["ru"] == keys["fa"]
    assert set(re.findall(r'data-i18n="([a-z_]+)"', PAGE)) <= keys["en"]
    reasons = {f"reason.{code}" for code in (*WINBACK_REASONS, *WHY_US_REASONS)}
    assert reasons <= keys["en"]


def test_analytics_js_has_no_syntax_errors() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    subprocess.run([node, "--check", str(STATIC / "analytics.js")], check=True)
