"""The valued currencies: dated rates, unvalued codes and codes that are no currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shared import currencies
from shared.currencies import (
    CurrenciesFileError,
    CurrencyTable,
    NotACurrency,
    UnvaluedCurrency,
    load_currencies,
)

TABLE = CurrencyTable.model_validate({
    "value_currency": "RUB",
    "currencies": {
        "RUB": [{"since": "2020-01-01", "rate": "1"}],
        "USD": [{"since": "2025-01-01", "rate": "100"}, {"since": "2026-01-01", "rate": "95"}],
        "KZT": [{"since": "2026-01-01", "rate": "0.19"}],
    },
})


def test_the_rate_in_force_on_a_day_is_the_newest_one_since_that_day() -> None:
    assert TABLE.rate("USD", on=date(2025, 12, 31)) == Decimal("100")
    assert TABLE.rate("USD", on=date(2026, 1, 1)) == Decimal("95")
    assert TABLE.rate("USD", on=date(2026, 7, 1)) == Decimal("95")


def test_a_purchase_time_counts_by_its_utc_day() -> None:
    last_evening = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert TABLE.rate("USD", on=last_evening) == Decimal("100")


def test_a_day_before_the_first_rate_uses_the_first_rate() -> None:
    assert TABLE.rate("KZT", on=date(2019, 5, 1)) == Decimal("0.19")


def test_amounts_convert_at_the_rate_of_their_day_to_four_places() -> None:
    assert TABLE.to_value(Decimal("10.01"), "USD", date(2025, 6, 1)) == Decimal("1001.00")
    assert TABLE.to_value(Decimal("12345.67"), "KZT", date(2026, 6, 1)) == Decimal("2345.6773")


def test_an_iso_currency_without_a_rate_is_unvalued_and_the_accepted_codes_are_named() -> None:
    with pytest.raises(UnvaluedCurrency, match="accepted currencies: KZT, RUB, USD") as caught:
        TABLE.rate("BRL")
    assert caught.value.accepted == ("KZT", "RUB", "USD")


@pytest.mark.parametrize("code", ["ABC", "rub", "US$", "XAU", "", "RUBL"])
def test_a_code_that_is_no_currency_is_refused_as_such(code: str) -> None:
    with pytest.raises(NotACurrency, match="not an ISO 4217 currency code"):
        TABLE.check(code)


def test_the_shipped_table_values_the_common_currencies_of_a_call_center() -> None:
    assert {"RUB", "USD", "EUR", "KZT", "AED", "GBP", "IRR", "CNY", "TRY", "BYN"} <= set(
        currencies.valued())
    assert currencies.rate("RUB") == Decimal(1)


def test_the_value_currency_must_be_valued_at_one(tmp_path: Path) -> None:
    bad = tmp_path / "currencies.yaml"
    bad.write_text("value_currency: RUB\ncurrencies:\n  RUB: [{since: 2020-01-01, rate: '2'}]\n",
                   encoding="utf-8")
    with pytest.raises(CurrenciesFileError, match="own rate must be 1"):
        load_currencies(bad)


def test_rates_out_of_order_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "currencies.yaml"
    bad.write_text(
        "value_currency: RUB\ncurrencies:\n  RUB: [{since: 2020-01-01, rate: '1'}]\n"
        "  USD: [{since: 2026-01-01, rate: '95'}, {since: 2025-01-01, rate: '100'}]\n",
        encoding="utf-8")
    with pytest.raises(CurrenciesFileError, match="oldest first"):
        load_currencies(bad)


def test_a_code_in_the_file_that_is_no_currency_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "currencies.yaml"
    bad.write_text("value_currency: RUB\ncurrencies:\n  RUB: [{since: 2020-01-01, rate: '1'}]\n"
                   "  usd: [{since: 2020-01-01, rate: '95'}]\n", encoding="utf-8")
    with pytest.raises(CurrenciesFileError, match="'usd' is not an ISO 4217"):
        load_currencies(bad)
