"""Sources ("how they found us"): an admin-managed list of slugs with titles and synonyms.

A source is stored and published as its slug; what an operator or another system sends may
be the slug, a title or a synonym in any language, read through ``source_key`` so that
"Friend", " friend " and "ДРУГ" are one thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.registry.domain.titles import Titles
from shared.contracts.types import Slug, Text

MAX_SYNONYMS = 50
_SPACES = re.compile(r"\s+")
# Persian and Arabic keyboards type different letters for the same yeh and kaf; ё is
# usually typed as е.
_LETTERS = str.maketrans({"ё": "е", "ي": "ی", "ى": "ی", "ك": "ک"})


def source_key(text: str) -> str:
    """The form two spellings of a source are compared in: case-folded, trimmed, inner
    whitespace collapsed, ё as е, Arabic yeh and kaf as the Persian letters."""
    return _SPACES.sub(" ", text.casefold().translate(_LETTERS)).strip()


class SourceTitles(Titles):
    """A source's title per panel language; Russian and Persian fall back to English."""

    # Only the name and this description: the API documents publish them under this name.


class Source(BaseModel):
    """One source customers come from, with the other words people use for it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: Slug
    titles: SourceTitles
    synonyms: list[Text] = Field(default_factory=list, max_length=MAX_SYNONYMS,
                                 examples=[["word of mouth", "друг"]])

    def spellings(self) -> set[str]:
        """Every normalised spelling that names this source: slug, titles and synonyms."""
        titles = [title for title in self.titles.model_dump().values() if title]
        return {source_key(text) for text in [self.slug, *titles, *self.synonyms]}


def patched(source: Source, changes: Mapping[str, Any]) -> Source:
    """The source with ``changes`` (field: new value) applied, checked again as a whole."""
    return Source.model_validate({**source.model_dump(), **changes})


def clashing_source(source: Source, others: Iterable[Source]) -> tuple[str, str] | None:
    """``(other slug, spelling)`` when a title or synonym of ``source`` already names another
    source after normalising, else None."""
    mine = source.spellings()
    for other in others:
        if other.slug == source.slug:
            continue
        shared = sorted(mine & other.spellings())
        if shared:
            return other.slug, shared[0]
    return None


def resolve_source(text: str, sources: Iterable[Source]) -> str | None:
    """The slug ``text`` names (slug, title or synonym in any language), else None."""
    key = source_key(text)
    for source in sources:
        if key in source.spellings():
            return source.slug
    return None


def _source(slug: str, en: str, ru: str, fa: str, *synonyms: str) -> Source:
    return Source(slug=slug, titles=SourceTitles(en=en, ru=ru, fa=fa), synonyms=list(synonyms))


DEFAULT_SOURCES: tuple[Source, ...] = (
    _source("friend", "A friend", "Друг, знакомый", "معرفی دوست",
            "friend", "friends", "word of mouth", "recommendation", "referral",
            "друг", "от друга", "друзья", "знакомые", "рекомендация", "сарафанное радио",
            "دوست", "دوستان", "توصیه دوست"),
    _source("search", "Internet search", "Поиск в интернете", "جستجوی اینترنتی",
            "google", "yandex", "internet", "web search", "поиск", "интернет", "яндекс",
            "гугл", "جستجو", "گوگل", "اینترنت"),
    _source("social", "Social networks", "Соцсети", "شبکه‌های اجتماعی",
            "social media", "instagram", "telegram", "vk", "facebook", "соцсети",
            "социальные сети", "инстаграм", "телеграм", "вконтакте", "اینستاگرام", "تلگرام"),
    _source("advertising", "Advertising", "Реклама", "تبلیغات",
            "ads", "advert", "advertisement", "billboard", "radio", "tv", "реклама на тв",
            "радио", "баннер", "آگهی", "بیلبورد"),
    _source("walk_in", "Walked in", "Зашёл сам", "مراجعه حضوری",
            "walk-in", "walked in", "passing by", "store", "shop", "мимо проходил", "магазин",
            "сам пришёл", "حضوری", "فروشگاه"),
    _source("partner", "Partner", "Партнёр", "شریک تجاری",
            "partners", "dealer", "партнёры", "дилер", "همکار", "نماینده"),
    _source("other", "Other", "Другое", "سایر",
            "else", "прочее", "иное", "دیگر"),
)
