"""A title per panel language, the shape categories and sources share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.contracts.types import Language, Text


class Titles(BaseModel):
    """A title per panel language; Russian and Persian fall back to English."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    en: Text
    ru: Text | None = None
    fa: Text | None = None

    def in_language(self, language: Language) -> str:
        """The title in ``language``, or the English one when that is missing."""
        return getattr(self, language) or self.en
