from decimal import Decimal

import pytest

from services.loyalty.domain import profitability


def test_revenues_by_category_sum_to_the_total_exactly() -> None:
    rows = [("vip", Decimal("1000.10")), ("ordinary", Decimal("0.01")), ("vip", Decimal("5"))]
    report = profitability(rows, "category")
    assert report.total_revenue == Decimal("1005.11")
    assert sum(g.revenue for g in report.groups) == report.total_revenue


def test_groups_show_customers_and_revenue_per_customer_highest_first() -> None:
    rows = [("vip", Decimal("900")), ("vip", Decimal("100")), ("ordinary", Decimal("300"))]
    report = profitability(rows, "category")
    lines = [(g.group, g.revenue, g.customers, g.revenue_per_customer) for g in report.groups]
    assert lines == [
        ("vip", Decimal("1000"), 2, Decimal("500.00")),
        ("ordinary", Decimal("300"), 1, Decimal("300.00")),
    ]


def test_shares_of_thirds_still_sum_to_exactly_one() -> None:
    rows = [("a", Decimal(1)), ("b", Decimal(1)), ("c", Decimal(1))]
    shares = [g.share for g in profitability(rows, "source").groups]
    assert sum(shares) == Decimal(1)
    assert sorted(shares) == [Decimal("0.3333"), Decimal("0.3333"), Decimal("0.3334")]


def test_a_missing_group_value_is_reported_as_unknown() -> None:
    report = profitability([(None, Decimal(5)), ("", Decimal(5))], "segment")
    assert [(g.group, g.customers) for g in report.groups] == [("unknown", 2)]


def test_shares_are_zero_when_there_is_no_revenue_at_all() -> None:
    report = profitability([("a", Decimal(10)), ("b", Decimal(-10))], "person_type")
    assert [g.share for g in report.groups] == [Decimal(0), Decimal(0)]


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot group by"):
        profitability([], "colour")  # type: ignore[arg-type]
