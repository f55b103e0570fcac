"""Customer categories: a user-defined list with four defaults seeded once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.registry.domain.errors import UnknownCategory
from services.registry.domain.policy import stricter_policy
from services.registry.domain.titles import Titles
from shared.contracts.types import Language, PaymentPolicy, Slug

Colour = Annotated[
    str,
    Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#c9a227"], description="#rrggbb"),
]
DiscountPercent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2, examples=["20"]),
]

MAX_ADVICE = 300
_MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z]")


def _plain_line(value: str) -> str:
    # Advice is one line on the card: no line breaks or other control characters, and no
    # markup (the panel would show it literally, so it can only be a mistake or a probe).
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("advice is one line of text: no line breaks or control characters")
    if _MARKUP.search(value):
        raise ValueError("advice is plain text: no markup such as <b>")
    return value


AdviceText = Annotated[
    str,
    AfterValidator(_plain_line),
    Field(min_length=1, max_length=MAX_ADVICE, examples=["Offer the wholesale price list."]),
]


class CategoryTitles(Titles):
    """A category's title per panel language; Russian and Persian fall back to English."""

    # Only the name and this description: the API documents publish them under this name.


class CategoryAdvice(BaseModel):
    """What an operator should do with a customer of this category, per panel language;
    Russian and Persian fall back to English."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    en: AdviceText
    ru: AdviceText | None = None
    fa: AdviceText | None = None

    def in_language(self, language: Language) -> str:
        return getattr(self, language) or self.en


class Category(BaseModel):
    """One customer category and the rules that come with it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: Slug
    titles: CategoryTitles
    description: str = Field(default="", max_length=500)
    colour: Colour = "#6b7280"
    prepayment_required: bool = Field(
        default=False, description="Customers of this category pay in full before delivery."
    )
    discount_percent: DiscountPercent = Field(
        default=Decimal(0), description="Special-price discount, e.g. for employees."
    )
    advice: CategoryAdvice | None = Field(
        default=None,
        description="Advice shown to operators on the card; replaces the built-in advice of "
        "a default category. Null: the built-in advice, if any.",
    )

    @property
    def own_payment_policy(self) -> PaymentPolicy:
        """The category's own rule: prepaid_only for a prepayment category, else any."""
        return "prepaid_only" if self.prepayment_required else "any"

    def payment_policy(self, risk_policy: PaymentPolicy = "any") -> PaymentPolicy:
        """The payment policy once this category's own rule is added to the risk policy."""
        return stricter_policy(self.own_payment_policy, risk_policy)


def patched(category: Category, changes: Mapping[str, Any]) -> Category:
    """The category with ``changes`` (field: new value) applied, checked again as a whole."""
    return Category.model_validate({**category.model_dump(), **changes})


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        slug="ordinary",
        titles=CategoryTitles(en="Ordinary", ru="Обычный", fa="معمولی"),
        description="Most customers: nothing special to watch for.",
        colour="#6b7280",
    ),
    Category(
        slug="vip",
        titles=CategoryTitles(en="VIP", ru="VIP-клиент", fa="مشتری ویژه (VIP)"),
        description="Needs extra care and patience: a large share of the revenue.",
        colour="#b7791f",
    ),
    Category(
        slug="problematic",
        titles=CategoryTitles(en="Problematic", ru="Проблемный", fa="مشکل‌ساز"),
        description="May not pay or starts conflicts: work on full prepayment only.",
        colour="#c53030",
        prepayment_required=True,
    ),
    Category(
        slug="employee",
        titles=CategoryTitles(en="Employee", ru="Сотрудник", fa="کارمند"),
        description="Our own staff buying as customers: special prices.",
        colour="#2b6cb0",
        discount_percent=Decimal(20),
    ),
)


def require_category(slug: str, categories: Iterable[Category | str]) -> None:
    """Raise ``UnknownCategory`` (listing the valid slugs) unless ``slug`` is one of them."""
    slugs = [item if isinstance(item, str) else item.slug for item in categories]
    if slug not in slugs:
        raise UnknownCategory(slugs)
