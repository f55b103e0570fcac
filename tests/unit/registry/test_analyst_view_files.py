"""Static checks of the analyst view (/analytics); the browser test draws it for real."""

from services.notify.domain.inbound import WHY_US_REASONS, WINBACK_REASONS
from tests.unit.registry.html_files import (
    Page,
    analyst_view,
    documented_ids,
    page_words,
    script,
    word_keys,
)

JS = script("analytics.js")
PAGE = analyst_view()


def test_every_documented_id_is_on_the_page_with_its_test_id() -> None:
    page = Page(PAGE)
    assert documented_ids(JS) - set(page.ids) == set()
    assert len(page.ids) == len(set(page.ids))
    assert set(page.ids) <= set(page.testids) | {"app-title", "profit-heading",
                                                  "value-heading", "lapsed-heading",
                                                  "ratings-heading", "referrals-heading"}


def test_the_page_loads_only_its_own_files() -> None:
    sources = Page(PAGE).sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources)
    assert sources.index("/static/session.js") < sources.index("/static/analytics.js")
    assert "<script>" not in PAGE and " style=" not in PAGE


def test_every_string_is_in_the_three_languages_with_every_reason() -> None:
    keys = word_keys(JS, script("session.js"))
    assert keys["en"] == keys["ru"] == keys["fa"]
    assert page_words(PAGE) <= keys["en"]
    reasons = {f"reason.{code}" for code in (*WINBACK_REASONS, *WHY_US_REASONS)}
    assert reasons <= keys["en"]
