"""The valued currencies and their dated rates into the value currency: the one place.

Every service reads them from ``currencies.yaml`` beside this module (or the file named by
``CRM_CURRENCIES_FILE``): registry refuses a purchase in a currency missing here, loyalty
converts at the rate in force on the purchase's date. ``valued()`` and ``rate(code, on=…)``
answer from that file; ``CurrencyTable`` is the same for a table of one's own (tests).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.clock import utc_now
from shared.contracts.types import is_currency_code
from shared.rules_file import load_rules_file

DEFAULT_CURRENCIES_PATH = Path(__file__).resolve().parent / "currencies.yaml"
MONEY_QUANTUM = Decimal("0.0001")  # the contract's Money carries at most four decimal places


class CurrencyError(ValueError):
    """A currency code the suite cannot use; the message says why."""


class NotACurrency(CurrencyError):
    """The code is no ISO 4217 currency at all ("ABC", "rub", "US$")."""


class UnvaluedCurrency(CurrencyError):
    """An ISO 4217 currency without a rate here; ``accepted`` lists the valued codes."""

    def __init__(self, code: str, accepted: tuple[str, ...]) -> None:
        super().__init__(f"the suite cannot value {code}; accepted currencies: "
                         f"{', '.join(accepted)}")
        self.code = code
        self.accepted = accepted


class CurrenciesFileError(ValueError):
    """The currencies file is missing, is not YAML, or does not describe valid rates."""


class DatedRate(BaseModel):
    """Units of the value currency one unit is worth, from ``since`` (a UTC day) on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: date
    rate: Decimal = Field(gt=0, allow_inf_nan=False)


class CurrencyTable(BaseModel):
    """The value currency and, per valued currency, its rates oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value_currency: str
    currencies: dict[str, list[DatedRate]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CurrencyTable:
        for code, rates in self.currencies.items():
            if not is_currency_code(code):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code (upper case)")
            if not rates:
                raise ValueError(f"{code} has no rate")
            days = [r.since for r in rates]
            if days != sorted(days) or len(set(days)) != len(days):
                raise ValueError(f"{code}: rates must be listed oldest first, one per day")
        own = self.currencies.get(self.value_currency)
        if own is None:
            raise ValueError(f"value_currency {self.value_currency} has no entry in currencies")
        if any(r.rate != 1 for r in own):
            raise ValueError("the value currency's own rate must be 1")
        return self

    def valued(self) -> tuple[str, ...]:
        """The codes the suite can value, sorted."""
        return tuple(sorted(self.currencies))

    def check(self, code: str) -> str:
        """``code`` when it is valued; NotACurrency or UnvaluedCurrency otherwise."""
        if not is_currency_code(code):
            raise NotACurrency(f"{code!r} is not an ISO 4217 currency code "
                               "(three capital letters, e.g. RUB)")
        if code not in self.currencies:
            raise UnvaluedCurrency(code, self.valued())
        return code

    def rate(self, code: str, on: date | datetime | None = None) -> Decimal:
        """The rate of ``code`` in force on ``on`` (a UTC day; today when None).

        A day before the first entry uses the first entry, so an old purchase still counts.
        """
        rates = self.currencies[self.check(code)]
        day = _day(on)
        index = bisect_right([r.since for r in rates], day) - 1
        return rates[max(index, 0)].rate

    def to_value(self, amount: Decimal, code: str, on: date | datetime | None = None) -> Decimal:
        """``amount`` in the value currency at the rate of ``on``; exact in that currency."""
        rate = self.rate(code, on)
        if rate == 1:
            return amount
        return (amount * rate).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def _day(on: date | datetime | None) -> date:
    if on is None:
        return utc_now().date()
    if isinstance(on, datetime):
        return (on.astimezone(UTC) if on.tzinfo else on).date()
    return on


class CurrencySettings(BaseSettings):
    """Where the currencies file is: ``CRM_CURRENCIES_FILE`` (default: beside this module)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    crm_currencies_file: Path = DEFAULT_CURRENCIES_PATH


def load_currencies(path: Path | str = DEFAULT_CURRENCIES_PATH) -> CurrencyTable:
    """Read and validate a currencies file; a failure is CurrenciesFileError naming it."""
    return load_rules_file(path, CurrencyTable, CurrenciesFileError, "currencies")


@lru_cache(maxsize=1)
def default_table() -> CurrencyTable:
    """The table every service uses, read once from ``CRM_CURRENCIES_FILE``."""
    return load_currencies(CurrencySettings().crm_currencies_file)


def valued() -> tuple[str, ...]:
    """The codes of the currencies the suite can value."""
    return default_table().valued()


def rate(code: str, on: date | datetime | None = None) -> Decimal:
    """Units of the value currency per unit of ``code`` on the day ``on`` (today if None)."""
    return default_table().rate(code, on)


#: ISO 4217 minor units where they are not two (the rial and the yen are written whole in
#: practice): how many decimals a person reads an amount of the currency with.
MINOR_UNITS: dict[str, int] = {"IRR": 0, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0,
                               "UGX": 0, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def minor_units(code: str) -> int:
    return MINOR_UNITS.get(code.upper(), 2)


def for_people(amount: Decimal, code: str) -> Decimal:
    """``amount`` rounded to the currency's minor unit (half to even), for a person to read:
    reports, exports, the analyst view. Sums are made before rounding, never after."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(code)), ROUND_HALF_EVEN)
