"""Static checks of the operator panel; the browser tests drive it for real."""

import re
from pathlib import Path
from typing import get_args

import httpx
import pytest
from fastapi import FastAPI

from services.registry.api import panel
from services.registry.api.panel import texts_block
from services.registry.domain.advice import CATEGORY_ADVICE, SEGMENT_ADVICE
from services.registry.domain.policy import PAYMENT_POLICY_TEXT
from services.registry.domain.reasons import REASON_TEXT
from services.registry.settings import RegistrySettings
from shared.contracts.types import Channel, Outcome, PersonType, ThankYouReason
from tests.unit.registry.html_files import (
    SCRIPTS,
    Page,
    documented_ids,
    node_check,
    operator_panel,
    page_words,
    script,
    word_keys,
    word_tables,
)

APP_JS = script("app.js")
DESK_JS = script("desk.js")
SESSION_JS = script("session.js")
INDEX = operator_panel()
CSS = script("panel.css")


def test_the_page_carries_exactly_the_domains_texts() -> None:
    assert Page(INDEX).data["crm-texts"] == {
        "payment_policy": PAYMENT_POLICY_TEXT,
        "reasons": REASON_TEXT,
        "advice": {"category": CATEGORY_ADVICE, "segment": SEGMENT_ADVICE},
    }


def test_no_text_can_end_its_data_block() -> None:
    texts = {"note": "</script><script>alert(1)</script>"}
    block = texts_block(texts)
    assert block.count("</script>") == 1
    assert Page(block).data["crm-texts"] == texts


async def test_a_pages_file_is_served_as_the_page_not_as_its_template() -> None:
    app = FastAPI()
    panel.install(app, RegistrySettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page, file = await client.get("/"), await client.get("/static/index.html")
        analyst_view = await client.get("/static/analytics.html")
    assert file.text == page.text == INDEX
    assert file.headers["content-security-policy"] == panel.CONTENT_SECURITY_POLICY
    assert 'id="sign-in-form"' in analyst_view.text and "<crm-sign-in>" not in analyst_view.text


@pytest.mark.parametrize("js", [APP_JS, DESK_JS], ids=["app.js", "desk.js"])
def test_every_id_a_script_documents_exists_in_the_page(js: str) -> None:
    assert documented_ids(js) - set(Page(INDEX).ids) == set()


def test_ids_are_unique_and_mirrored_as_test_ids() -> None:
    page = Page(INDEX)
    assert len(page.ids) == len(set(page.ids))
    assert documented_ids(APP_JS) | documented_ids(DESK_JS) <= set(page.testids)


def test_every_label_points_at_an_existing_control() -> None:
    page = Page(INDEX)
    assert set(page.label_for) - set(page.ids) == set()


def test_the_page_loads_nothing_from_outside_the_suite() -> None:
    for text in (INDEX, APP_JS, SESSION_JS, CSS):
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    assert Page(INDEX).sources == ["/static/panel.css", "/static/session.js",
                                   "/static/desk.js", "/static/app.js"]


def test_every_ui_string_is_translated_into_russian_and_persian() -> None:
    keys = word_keys(APP_JS, SESSION_JS)
    assert keys["en"] == keys["ru"] == keys["fa"]
    assert page_words(INDEX) <= keys["en"]
    desks = word_keys(DESK_JS)
    assert desks["en"] == desks["ru"] == desks["fa"]
    assert page_words(INDEX, "data-desk-i18n") <= desks["en"]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_every_script_has_no_syntax_errors(path: Path) -> None:
    node_check(path)


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
    for lang, body in word_tables(APP_JS).items():
        assert {v for v in offered if f'"{name}.{v}"' not in body} == set(), lang
