from datetime import UTC, datetime
from decimal import Decimal

from services.loyalty.domain import (
    Account,
    EarningRules,
    Thresholds,
    reassess_tier,
    recompute_tiers,
    tier_for,
    tier_thresholds,
    value_percentile,
)
from services.loyalty.domain.tiers import Percentiles
from shared.contracts.types import Tier

NOW = datetime(2026, 6, 15, tzinfo=UTC)


def values(*amounts: int) -> list[Decimal]:
    return [Decimal(a) for a in amounts]


def account(
    customer_id: str, value: str, tier: Tier = "standard", manual_tier_floor: Tier | None = None
) -> Account:
    return Account(
        customer_id=customer_id,
        value_by_month={"2026-06": Decimal(value)},
        tier=tier,
        manual_tier_floor=manual_tier_floor,
    )


def test_gold_is_the_top_fifth_of_ten_customers() -> None:
    thresholds = tier_thresholds(values(*range(1, 11)), gold_percent=20, silver_percent=20)
    assert thresholds.gold_min == Decimal(9)
    assert thresholds.silver_min == Decimal(7)


def test_gold_can_be_the_top_tenth() -> None:
    thresholds = tier_thresholds(values(*range(1, 11)), gold_percent=10, silver_percent=20)
    assert thresholds.gold_min == Decimal(10)
    assert thresholds.silver_min == Decimal(8)


def test_a_fractional_top_share_rounds_up_to_a_whole_customer() -> None:
    # 20% of 7 customers is 1.4: two customers have fewer than 20% above them.
    thresholds = tier_thresholds(values(*range(1, 8)), gold_percent=20, silver_percent=0)
    assert thresholds.gold_min == Decimal(6)


def test_customers_tied_at_the_gold_boundary_are_all_gold() -> None:
    population = values(1, 2, 3, 4, 5, 6, 7, 9, 9, 9)
    thresholds = tier_thresholds(population, gold_percent=20, silver_percent=20)
    golds = [v for v in population if tier_for(v, thresholds) == "gold"]
    assert golds == values(9, 9, 9)


def test_a_tie_that_swallows_the_silver_band_leaves_no_silver() -> None:
    thresholds = tier_thresholds(values(1, 2, 3, 4, 5, 6, 9, 9, 9, 9), 20, 20)
    assert thresholds.silver_min is None
    assert tier_for(Decimal(6), thresholds) == "standard"


def test_customers_without_value_are_never_gold_and_do_not_dilute_the_top() -> None:
    population = values(0, 0, 0, 0, 0, 0, 0, 0, 100, 50)
    thresholds = tier_thresholds(population, gold_percent=20, silver_percent=20)
    assert thresholds.population == 2
    assert tier_for(Decimal(0), thresholds) == "standard"
    assert tier_for(Decimal(100), thresholds) == "gold"


def test_a_negative_value_after_refunds_is_standard() -> None:
    thresholds = tier_thresholds(values(-5, 10), 20, 20)
    assert tier_for(Decimal(-5), thresholds) == "standard"


def test_nobody_is_gold_when_nobody_has_bought() -> None:
    thresholds = tier_thresholds([], gold_percent=20, silver_percent=20)
    assert thresholds.gold_min is None
    assert tier_for(Decimal(0), thresholds) == "standard"


def test_the_only_buying_customer_is_gold() -> None:
    thresholds = tier_thresholds(values(42), gold_percent=20, silver_percent=20)
    assert tier_for(Decimal(42), thresholds) == "gold"


def test_in_a_population_of_two_the_second_is_not_in_the_top_forty_percent() -> None:
    # Half the population is above the second customer: that is not within the top 40%.
    thresholds = tier_thresholds(values(10, 20), gold_percent=20, silver_percent=20)
    assert tier_for(Decimal(20), thresholds) == "gold"
    assert tier_for(Decimal(10), thresholds) == "standard"


def test_in_a_population_of_three_the_second_is_silver() -> None:
    thresholds = tier_thresholds(values(10, 20, 30), gold_percent=20, silver_percent=20)
    assert [tier_for(v, thresholds) for v in values(30, 20, 10)] == ["gold", "silver", "standard"]


def test_a_manual_floor_lifts_a_lower_tier() -> None:
    thresholds = tier_thresholds(values(*range(1, 11)), 20, 20)
    assert tier_for(Decimal(1), thresholds, manual_floor="gold") == "gold"


def test_a_manual_floor_never_lowers_an_earned_tier() -> None:
    thresholds = tier_thresholds(values(*range(1, 11)), 20, 20)
    assert tier_for(Decimal(10), thresholds, manual_floor="silver") == "gold"


def test_the_best_customer_is_at_the_hundredth_percentile() -> None:
    assert value_percentile(Decimal(10), Percentiles.of(values(*range(1, 11)))) == 100.0


def test_a_percentile_counts_the_share_at_or_below() -> None:
    assert value_percentile(Decimal(8), Percentiles.of(values(*range(1, 11)))) == 80.0


def test_tied_customers_share_a_percentile() -> None:
    population = values(1, 5, 5, 5, 9)
    assert value_percentile(Decimal(5), Percentiles.of(population)) == 80.0


def test_a_customer_outside_the_population_is_at_percentile_zero() -> None:
    assert value_percentile(Decimal(0), Percentiles.of(values(1, 2))) == 0.0
    assert value_percentile(Decimal(3), Percentiles.of([])) == 0.0


def test_gold_is_exactly_the_percentiles_above_one_hundred_minus_n() -> None:
    population = values(*range(1, 24))
    thresholds = tier_thresholds(population, gold_percent=20, silver_percent=0)
    for v in population:
        is_gold = tier_for(v, thresholds) == "gold"
        assert is_gold == (value_percentile(v, Percentiles.of(population)) > 80)


def test_a_purchase_that_crosses_the_gold_threshold_changes_the_tier() -> None:
    thresholds = Thresholds(
        gold_min=Decimal(900),
        silver_min=Decimal(500),
        population=10,
        gold_percent=20,
        silver_percent=20,
    )
    updated, change = reassess_tier(account("c-1", "950"), thresholds,
                                    Percentiles.of(values(100, 950)), NOW)
    assert updated.tier == "gold"
    assert change is not None
    assert (change.old_tier, change.new_tier, change.value_percentile) == ("standard", "gold", 100)


def test_an_unchanged_tier_reports_no_change() -> None:
    thresholds = tier_thresholds(values(1, 2, 3, 4, 5), 20, 20)
    same, change = reassess_tier(account("c-1", "1"), thresholds,
                                 Percentiles.of(values(1, 2, 3, 4, 5)), NOW)
    assert change is None
    assert same.tier == "standard"


def test_the_periodic_recompute_lists_every_move(rules: EarningRules) -> None:
    accounts = [
        account("up", "1000"),
        account("down", "10", tier="gold"),
        account("stays", "1", tier="standard"),
        account("second", "500"),
        account("floored", "2", manual_tier_floor="silver"),
    ]
    result = recompute_tiers(accounts, rules, NOW)
    moves = {c.customer_id: (c.old_tier, c.new_tier) for c in result.changes}
    assert moves == {
        "up": ("standard", "gold"),
        "down": ("gold", "standard"),
        "second": ("standard", "silver"),
        "floored": ("standard", "silver"),
    }


def test_value_older_than_twelve_months_does_not_count_for_tiers(rules: EarningRules) -> None:
    old = Account(customer_id="old", value_by_month={"2025-06": Decimal(10_000)}, tier="gold")
    result = recompute_tiers([old, account("new", "5")], rules, NOW)
    assert [(c.customer_id, c.new_tier) for c in result.changes] == [
        ("old", "standard"),
        ("new", "gold"),
    ]
