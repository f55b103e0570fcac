"""Static checks of the operator panel; the browser tests drive it for real."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest

from services.registry.domain import PAYMENT_POLICY_TEXT
from shared.contracts.types import Channel, Outcome, PersonType, ThankYouReason

STATIC = Path(__file__).parents[3] / "services" / "registry" / "static"
APP_JS = (STATIC / "app.js").read_text(encoding="utf-8")
INDEX = (STATIC / "index.html").read_text(encoding="utf-8")
CSS = (STATIC / "panel.css").read_text(encoding="utf-8")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.testids: list[str] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if values.get("data-testid"):
            self.testids.append(str(values["data-testid"]))
        if tag == "label" and values.get("for"):
            self.label_for.append(str(values["for"]))


def parsed() -> _Ids:
    parser = _Ids()
    parser.feed(INDEX)
    return parser


def documented_ids() -> set[str]:
    header = APP_JS.split("*/", 1)[0]
    return set(re.findall(r"#([a-z][a-z0-9-]*)", header))


def test_payment_policy_words_match_the_domain() -> None:
    block = APP_JS.split("/* policy-text:begin */", 1)[1].split("/* policy-text:end */", 1)[0]
    literal = block.split("=", 1)[1].strip().rstrip(";")
    assert json.loads(literal) == PAYMENT_POLICY_TEXT


def test_every_id_documented_in_app_js_exists_in_the_page() -> None:
    assert documented_ids() - set(parsed().ids) == set()


def test_ids_are_unique_and_mirrored_as_test_ids() -> None:
    page = parsed()
    assert len(page.ids) == len(set(page.ids))
    assert documented_ids() <= set(page.testids)


def test_every_label_points_at_an_existing_control() -> None:
    page = parsed()
    assert set(page.label_for) - set(page.ids) == set()


def test_the_page_loads_nothing_from_outside_the_suite() -> None:
    for text in (INDEX, APP_JS, CSS):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert 'src="/static/app.js"' in INDEX and 'href="/static/panel.css"' in INDEX


def test_every_ui_string_is_translated_into_russian_and_persian() -> None:
    tables = re.findall(r"\n    (en|ru|fa): \{(.*?)\n    \},", APP_JS, re.DOTALL)
    keys = {
        lang: set(re.findall(r'(?:^|,)\s*"?([a-z_.]+)"?: "', body, re.MULTILINE))
        for lang, body in tables
    }
    assert set(keys) == {"en", "ru", "fa"}
    assert keys["en"] == keys["ru"] == keys["fa"]
    page_keys = set(re.findall(r'data-i18n="([a-z_]+)"', INDEX))
    assert page_keys <= keys["en"]


def test_app_js_has_no_syntax_errors() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--check", str(STATIC / "app.js")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def _options(name: str) -> list[str]:
    block = APP_JS.split("const OPTIONS = {", 1)[1].split("};", 1)[0]
    match = re.search(rf"\b{name}: \[(.*?)\]", block, re.DOTALL)
    assert match, f"OPTIONS.{name} is missing"
    return re.findall(r'"([a-z_]*)"', match.group(1))


@pytest.mark.parametrize(("name", "literal"), [
    ("thank_you_reason", ThankYouReason), ("channel", Channel), ("outcome", Outcome),
    ("person_type", PersonType)])
def test_the_panels_choices_are_the_contracts_values(name: str, literal: object) -> None:
    offered = set(_options(name))
    assert offered == set(get_args(literal))
    # and each is worded in the panel's three languages
    tables = re.findall(r"\n    (en|ru|fa): \{(.*?)\n    \},", APP_JS, re.DOTALL)
    for lang, body in tables:
        assert {v for v in offered if f'"{name}.{v}"' not in body} == set(), lang
