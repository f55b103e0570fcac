"""Earning rules: how many points a purchase earns and what it is worth in the value currency."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.types import Tier
from shared.rules_file import load_rules_file

MONEY_QUANTUM = Decimal("0.0001")  # the contract's Money carries at most four decimal places
DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"

Multiplier = Decimal


def _same_for_every_tier() -> dict[Tier, Multiplier]:
    return {"standard": Decimal(1), "silver": Decimal(1), "gold": Decimal(1)}


class RulesError(ValueError):
    """The rules file is missing, is not YAML, or does not describe valid earning rules."""


class UnknownCurrency(ValueError):
    """A purchase is in a currency the earning rules have no rate for."""


class CurrencyRule(BaseModel):
    """Points and value for one currency: one point per `spend_per_point` spent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spend_per_point: Decimal = Field(gt=0, allow_inf_nan=False)
    value_rate: Decimal = Field(gt=0, allow_inf_nan=False)


class EarningRules(BaseModel):
    """The loyalty configuration; see rules.yaml for the meaning of each field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value_currency: str = Field(min_length=3, max_length=3)
    currencies: dict[str, CurrencyRule] = Field(min_length=1)
    tier_multipliers: dict[Tier, Multiplier] = Field(default_factory=_same_for_every_tier)
    category_multipliers: dict[str, Multiplier] = Field(default_factory=dict)
    promotion_multiplier: Multiplier = Field(default=Decimal(1), ge=0)
    rounding: Literal["floor", "half_up"] = "floor"
    referral_bonus_points: int = Field(default=0, ge=0)
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
            raise ValueError(f"value_currency {self.value_currency} has no entry in currencies")
        if self.currencies[self.value_currency].value_rate != 1:
            raise ValueError("the value currency's own value_rate must be 1")
        missing = {"standard", "silver", "gold"} - set(self.tier_multipliers)
        if missing:
            raise ValueError(f"tier_multipliers lacks {sorted(missing)}")
        multipliers = [*self.tier_multipliers.values(), *self.category_multipliers.values()]
        if any(m < 0 for m in multipliers):
            raise ValueError("multipliers must not be negative")
        if self.gold_percent + self.silver_percent > 100:
            raise ValueError("gold_percent + silver_percent must not exceed 100")
        return self

    def currency(self, code: str) -> CurrencyRule:
        try:
            return self.currencies[code.upper()]
        except KeyError:
            known = ", ".join(sorted(self.currencies))
            raise UnknownCurrency(f"no earning rule for {code!r} (known: {known})") from None


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
) -> int:
    """Points earned by one purchase; a refund (negative amount) gives the same points back.

    A refund is not linked to the purchase it reverses (the contract has no such field), so
    its clawback is computed with today's tier and category: a full refund cancels the
    original points exactly unless the tier or category changed in between.
    """
    rule = rules.currency(currency)
    multiplier = rules.tier_multipliers[tier] * rules.category_multipliers.get(category or "", 1)
    if discounted:
        multiplier *= rules.promotion_multiplier
    raw = abs(amount) / rule.spend_per_point * multiplier
    rounding = ROUND_FLOOR if rules.rounding == "floor" else ROUND_HALF_UP
    points = int(raw.to_integral_value(rounding=rounding))
    return -points if amount < 0 else points


def to_value_currency(amount: Decimal, currency: str, rules: EarningRules) -> Decimal:
    """The amount in the value currency; exact when it is already in that currency."""
    rule = rules.currency(currency)
    if rule.value_rate == 1:
        return amount
    return (amount * rule.value_rate).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)
