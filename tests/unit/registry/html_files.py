"""The operator panel's and the analyst view's files, as the static-file tests read them:
the pages as registry serves them, parsed, and the scripts' word tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from services.registry.api import panel
from services.registry.settings import RegistrySettings

STATIC = panel.STATIC
SCRIPTS = sorted(STATIC.glob("*.js"))
LANGUAGES = {"en", "ru", "fa"}


def script(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def operator_panel() -> str:
    """``GET /`` as registry serves it (the default settings)."""
    return panel.operator_panel_page(RegistrySettings())


def analyst_view() -> str:
    """``GET /analytics`` as registry serves it."""
    return panel.page("analytics.html")


class Page(HTMLParser):
    """What the tests look at in a page: ids, test ids, labels, the files it loads and its
    JSON data blocks (by id)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.testids: list[str] = []
        self.label_for: list[str] = []
        self.sources: list[str] = []
        self.data: dict[str, Any] = {}
        self._data_block: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if values.get("data-testid"):
            self.testids.append(str(values["data-testid"]))
        if tag == "label" and values.get("for"):
            self.label_for.append(str(values["for"]))
        for name in ("src", "href"):
            if values.get(name):
                self.sources.append(str(values[name]))
        if tag == "script" and values.get("type") == "application/json":
            self._data_block = str(values.get("id"))

    def handle_data(self, data: str) -> None:
        if self._data_block is not None:
            self.data[self._data_block] = json.loads(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._data_block = None


def documented_ids(js: str) -> set[str]:
    """The element ids a script's opening comment names (``#sign-in-form``)."""
    return set(re.findall(r"#([a-z][a-z0-9-]*)", js.split("*/", 1)[0]))


def word_tables(js: str) -> dict[str, str]:
    """The source of each language's table in a script's ``const TEXT = {...}``."""
    body = js.split("const TEXT = {", 1)[1].split("\n  };", 1)[0]
    return dict(re.findall(r"\n    (en|ru|fa): \{(.*?)\n    \},", body, re.DOTALL))


def word_keys(*scripts: str) -> dict[str, set[str]]:
    """Each language's keys in these scripts' word tables together."""
    keys: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
    for js in scripts:
        tables = word_tables(js)
        assert set(tables) == LANGUAGES
        for lang, body in tables.items():
            keys[lang] |= set(re.findall(r'(?:^|,)\s*"?([a-z_.]+)"?: "', body, re.MULTILINE))
    return keys


def page_words(html: str, attribute: str = "data-i18n") -> set[str]:
    """The word keys a page names (``data-i18n="title"``)."""
    return set(re.findall(rf'{attribute}="([a-z_]+)"', html))


def node_check(path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
