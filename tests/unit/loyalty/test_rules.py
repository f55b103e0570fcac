from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.loyalty.domain import (
    DEFAULT_RULES_PATH,
    EarningRules,
    RulesError,
    UnknownCurrency,
    load_rules,
    points_for,
    to_value_currency,
)
from shared.currencies import DatedRate


def test_the_shipped_rules_file_loads_with_gold_at_twenty_percent() -> None:
    rules = load_rules(DEFAULT_RULES_PATH)
    assert rules.gold_percent == 20
    assert rules.value_currency == "RUB"


def test_a_missing_rules_file_is_a_rules_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RulesError, match=r"nope\.yaml"):
        load_rules(missing)


def test_a_rules_file_that_is_not_yaml_is_a_rules_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("currencies: [unclosed", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(bad)


def test_an_invalid_field_is_reported_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "gold_percent: 20", "gold_percent: 0"
    )
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="gold_percent"):
        load_rules(bad)


def test_the_value_currency_needs_an_earning_rule(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("currencies:\n  USD: {spend_per_point: '1'}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="value currency RUB has no earning rule"):
        load_rules(bad)


def test_an_earning_rule_for_a_currency_without_a_rate_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("currencies:\n  RUB: {spend_per_point: '100'}\n  BRL: {spend_per_point: '1'}\n",
                   encoding="utf-8")
    with pytest.raises(RulesError, match="BRL"):
        load_rules(bad)


def test_rates_are_not_kept_in_the_rules_file(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("currencies:\n  RUB: {spend_per_point: '100', value_rate: '1'}\n",
                   encoding="utf-8")
    with pytest.raises(RulesError, match="value_rate"):
        load_rules(bad)


def test_one_point_per_hundred_roubles_floored(rules: EarningRules) -> None:
    assert points_for(Decimal("1299.99"), "RUB", False, "standard", "ordinary", rules) == 12


def test_one_point_per_dollar(rules: EarningRules) -> None:
    assert points_for(Decimal("25.50"), "USD", False, "standard", "ordinary", rules) == 25


def test_one_point_per_ten_thousand_rials(rules: EarningRules) -> None:
    assert points_for(Decimal("2500000"), "IRR", False, "standard", "ordinary", rules) == 250


def test_currency_codes_are_matched_case_insensitively(rules: EarningRules) -> None:
    assert points_for(Decimal("100"), "rub", False, "standard", None, rules) == 1


def test_an_unknown_currency_is_rejected_rather_than_guessed(rules: EarningRules) -> None:
    with pytest.raises(UnknownCurrency, match="JPY"):
        points_for(Decimal("1000"), "JPY", False, "standard", "ordinary", rules)


def test_a_valued_currency_without_an_earning_rule_earns_through_the_value_currency(
    rules: EarningRules,
) -> None:
    # 10,000 KZT at 0.2 = 2,000 RUB -> one point per 100 RUB
    assert points_for(Decimal("10000"), "KZT", False, "standard", "ordinary", rules) == 20


def test_gold_customers_earn_half_as_much_again(rules: EarningRules) -> None:
    assert points_for(Decimal("1000"), "RUB", False, "gold", "ordinary", rules) == 15


def test_silver_customers_earn_a_quarter_more_floored(rules: EarningRules) -> None:
    assert points_for(Decimal("1000"), "RUB", False, "silver", "ordinary", rules) == 12


def test_employees_earn_half_on_their_special_prices(rules: EarningRules) -> None:
    assert points_for(Decimal("1000"), "RUB", False, "standard", "employee", rules) == 5


def test_a_category_without_a_multiplier_earns_the_base_rate(rules: EarningRules) -> None:
    assert points_for(Decimal("1000"), "RUB", False, "standard", "vip", rules) == 10


def test_a_promotion_purchase_earns_half(rules: EarningRules) -> None:
    assert points_for(Decimal("1000"), "RUB", True, "standard", "ordinary", rules) == 5


def test_multipliers_stack_before_a_single_rounding(rules: EarningRules) -> None:
    # 1000 RUB -> 10 x 1.5 (gold) x 0.5 (employee) x 0.5 (promotion) = 3.75 -> 3
    assert points_for(Decimal("1000"), "RUB", True, "gold", "employee", rules) == 3


def test_a_refund_takes_back_exactly_what_the_same_purchase_earned(rules: EarningRules) -> None:
    earned = points_for(Decimal("1299.99"), "RUB", False, "gold", "ordinary", rules)
    clawed = points_for(Decimal("-1299.99"), "RUB", False, "gold", "ordinary", rules)
    assert (earned, clawed) == (19, -19)


def test_half_up_rounding_can_be_chosen(rules: EarningRules) -> None:
    half_up = rules.model_copy(update={"rounding": "half_up"})
    assert points_for(Decimal("150"), "RUB", False, "standard", "ordinary", half_up) == 2


def test_value_in_the_value_currency_is_kept_exactly(rules: EarningRules) -> None:
    assert to_value_currency(Decimal("1234.5678"), "RUB", rules) == Decimal("1234.5678")


def test_value_in_another_currency_is_converted_to_four_places(rules: EarningRules) -> None:
    assert to_value_currency(Decimal("10.01"), "USD", rules) == Decimal("950.95")
    assert to_value_currency(Decimal("12345"), "IRR", rules) == Decimal("27.1590")


def test_value_is_converted_at_the_rate_of_the_purchase_date(rules: EarningRules) -> None:
    dated = rules.exchange.model_copy(update={"currencies": {
        **rules.exchange.currencies,
        "USD": [DatedRate(since=date(2025, 1, 1), rate=Decimal("100")),
                DatedRate(since=date(2026, 1, 1), rate=Decimal("95"))]}})
    at = rules.model_copy(update={"exchange": dated})
    assert to_value_currency(Decimal("10"), "USD", at, date(2025, 12, 31)) == Decimal("1000")
    assert to_value_currency(Decimal("10"), "USD", at, date(2026, 1, 1)) == Decimal("950")
