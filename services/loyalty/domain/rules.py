"""Earning rules: how many points a purchase earns and what it is worth in the value currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.types import Tier
from shared.currencies import CurrencyError, CurrencyTable, default_table
from shared.rules_file import load_rules_file

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"

Multiplier = Decimal


def _same_for_every_tier() -> dict[Tier, Multiplier]:
    return {"standard": Decimal(1), "silver": Decimal(1), "gold": Decimal(1)}


class RulesError(ValueError):
    """The rules file is missing, is not YAML, or does not describe valid earning rules."""


class UnknownCurrency(ValueError):
    """A purchase is in a currency the suite cannot value (shared/currencies.yaml)."""


class CurrencyRule(BaseModel):
    """Earning in one currency: one point per `spend_per_point` spent (rates are elsewhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spend_per_point: Decimal = Field(gt=0, allow_inf_nan=False)


#: Profile fields a profile_bonus may require: those registry's events carry.
PROFILE_FIELDS = ("full_name", "phone", "email", "source", "card_number", "language")


class ProfileBonus(BaseModel):
    """Points credited once when every field in ``fields`` is filled (rules.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: int = Field(default=0, ge=0)
    fields: list[Literal["full_name", "phone", "email", "source", "card_number", "language"]] = (
        Field(default_factory=list))


class PointsExpiry(BaseModel):
    """Points expire after ``after_days`` without earning (0: never); a notice goes out
    ``notice_days`` before (0: none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_days: int = Field(default=0, ge=0)
    notice_days: int = Field(default=0, ge=0)


class EarningRules(BaseModel):
    """The loyalty configuration; see rules.yaml for the meaning of each field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currencies: dict[str, CurrencyRule] = Field(min_length=1)
    # The valued currencies and their dated rates (shared/currencies.yaml), not in rules.yaml.
    exchange: CurrencyTable = Field(default_factory=default_table, exclude=True)
    tier_multipliers: dict[Tier, Multiplier] = Field(default_factory=_same_for_every_tier)
    category_multipliers: dict[str, Multiplier] = Field(default_factory=dict)
    promotion_multiplier: Multiplier = Field(default=Decimal(1), ge=0)
    rounding: Literal["floor", "half_up"] = "floor"
    referral_bonus_points: int = Field(default=0, ge=0)
    profile_bonus: ProfileBonus = Field(default_factory=ProfileBonus)
    points_expiry: PointsExpiry = Field(default_factory=PointsExpiry)
    gold_percent: int = Field(default=20, ge=1, le=100)
    silver_percent: int = Field(default=20, ge=0, le=100)
    lapse_multiple: Decimal = Field(default=Decimal(2), gt=0)
    default_interval_days: Decimal = Field(default=Decimal(90), gt=0)
    min_interval_days: Decimal = Field(default=Decimal(7), ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> EarningRules:
        upper = {code.upper() for code in self.currencies}
        if upper != set(self.currencies):
            raise ValueError("currency codes must be upper case, e.g. RUB")
        if self.value_currency not in self.currencies:
            raise ValueError(f"the value currency {self.value_currency} has no earning rule")
        unvalued = sorted(set(self.currencies) - set(self.exchange.valued()))
        if unvalued:
            raise ValueError(f"earning rules for currencies without a rate: {unvalued}")
        missing = {"standard", "silver", "gold"} - set(self.tier_multipliers)
        if missing:
            raise ValueError(f"tier_multipliers lacks {sorted(missing)}")
        multipliers = [*self.tier_multipliers.values(), *self.category_multipliers.values()]
        if any(m < 0 for m in multipliers):
            raise ValueError("multipliers must not be negative")
        if self.gold_percent + self.silver_percent > 100:
            raise ValueError("gold_percent + silver_percent must not exceed 100")
        return self

    @property
    def value_currency(self) -> str:
        """The currency customer value is kept in (shared/currencies.yaml)."""
        return self.exchange.value_currency

    def currency(self, code: str) -> CurrencyRule | None:
        """The earning rule of a valued currency; None when it earns through the value
        currency. Raises UnknownCurrency for a currency the suite cannot value."""
        try:
            self.exchange.check(code.upper())
        except CurrencyError as error:
            raise UnknownCurrency(str(error)) from None
        return self.currencies.get(code.upper())


def load_rules(path: Path | str = DEFAULT_RULES_PATH) -> EarningRules:
    """Read and validate the earning rules; every failure is a RulesError naming the file."""
    return load_rules_file(path, EarningRules, RulesError, "earning rules")


def points_for(
    amount: Decimal,
    currency: str,
    discounted: bool,
    tier: Tier,
    category: str | None,
    rules: EarningRules,
    on: date | datetime | None = None,
) -> int:
    """Points earned by one purchase; a refund (negative amount) gives the same points back.

    A currency with an earning rule earns one point per its `spend_per_point`; a valued
    currency without one is converted into the value currency at the rate of `on` (the
    purchase's date; today when None) and earns by the value currency's rule.

    A refund is not linked to the purchase it reverses (the contract has no such field), so
    its clawback is computed with today's tier and category: a full refund cancels the
    original points exactly unless the tier or category changed in between.
    """
    rule = rules.currency(currency)
    if rule is None:
        spent = abs(to_value_currency(amount, currency, rules, on))
        rule = rules.currencies[rules.value_currency]
    else:
        spent = abs(amount)
    multiplier = rules.tier_multipliers[tier] * rules.category_multipliers.get(category or "", 1)
    if discounted:
        multiplier *= rules.promotion_multiplier
    raw = spent / rule.spend_per_point * multiplier
    rounding = ROUND_FLOOR if rules.rounding == "floor" else ROUND_HALF_UP
    points = int(raw.to_integral_value(rounding=rounding))
    return -points if amount < 0 else points


def to_value_currency(
    amount: Decimal, currency: str, rules: EarningRules, on: date | datetime | None = None
) -> Decimal:
    """The amount in the value currency at the rate in force on `on` (the purchase's date;
    today when None); exact when it is already in that currency."""
    rules.currency(currency)
    return rules.exchange.to_value(amount, currency.upper(), on)
