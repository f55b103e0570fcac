"""Properties over random inputs: values equal a recomputation; gold is exactly the top N%."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.loyalty.domain import (
    Account,
    EarningRules,
    apply_purchase,
    reassess_tier,
    recompute_tiers,
    trailing_12m_value,
    value_month,
    value_year,
)
from shared.contracts.events import PurchaseRecorded

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
RULES = EarningRules.model_validate(
    {
        "currencies": {"RUB": {"spend_per_point": "100"}, "USD": {"spend_per_point": "1"}},
        "exchange": {
            "value_currency": "RUB",
            "currencies": {
                "RUB": [{"since": "2020-01-01", "rate": "1"}],
                "USD": [{"since": "2020-01-01", "rate": "95.5"}],
            },
        },
        "promotion_multiplier": "0.5",
        "gold_percent": 20,
        "silver_percent": 20,
    }
)

amounts = st.decimals(min_value=-5000, max_value=50000, places=2, allow_nan=False).filter(
    lambda a: a != 0
)
purchase_rows = st.tuples(
    amounts,
    st.integers(min_value=0, max_value=3 * 365 * 24),  # hour offset from EPOCH
    st.sampled_from(["RUB", "USD"]),
    st.booleans(),
)


def month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month


def expected_points(amount: Decimal, currency: str, discounted: bool) -> int:
    spend = Decimal(100) if currency == "RUB" else Decimal(1)
    raw = abs(amount) / spend * (Decimal("0.5") if discounted else 1)
    points = int(raw.to_integral_value(rounding=ROUND_FLOOR))
    return points if amount > 0 else -points


def in_roubles(amount: Decimal, currency: str) -> Decimal:
    return amount if currency == "RUB" else (amount * Decimal("95.5")).quantize(Decimal("0.0001"))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(purchase_rows, min_size=1, max_size=60),
    redelivered=st.lists(st.integers(min_value=0, max_value=59), max_size=10),
    query_lag_days=st.integers(min_value=0, max_value=400),
)
def test_account_values_equal_a_recomputation_from_the_purchase_stream(
    rows: list[tuple[Decimal, int, str, bool]], redelivered: list[int], query_lag_days: int
) -> None:
    purchases = [
        PurchaseRecorded(
            purchase_id=f"p-{i}",
            customer_id="c-1",
            amount=amount,
            currency=currency,
            discounted=discounted,
            payment_method="card",
            occurred_at=EPOCH + timedelta(hours=hour),
        )
        for i, (amount, hour, currency, discounted) in enumerate(rows)
    ]
    stream = purchases + [purchases[i] for i in redelivered if i < len(purchases)]
    account, clock = Account(customer_id="c-1"), EPOCH
    for p in stream:  # arrival order is not time order; the service clock only moves on
        clock = max(clock, p.occurred_at)
        account, _ = apply_purchase(account, p, RULES, clock)
    now = clock + timedelta(days=query_lag_days)

    valued = [(p.occurred_at, in_roubles(p.amount, p.currency)) for p in purchases]
    assert account.value_lifetime == sum(v for _, v in valued)
    assert value_month(account, now) == sum(
        v for t, v in valued if month_index(t) == month_index(now)
    )
    assert value_year(account, now) == sum(v for t, v in valued if t.year == now.year)
    assert trailing_12m_value(account, now) == sum(
        v for t, v in valued if 0 <= month_index(now) - month_index(t) < 12
    )
    assert account.points_balance == sum(
        expected_points(p.amount, p.currency, p.discounted) for p in purchases
    )
    bought = [p.occurred_at for p in purchases if p.amount > 0]
    assert account.purchase_count == len(bought)
    assert account.first_purchase_at == (min(bought) if bought else None)
    assert account.last_purchase_at == (max(bought) if bought else None)


@settings(max_examples=300, deadline=None)
@given(
    customer_values=st.lists(st.integers(min_value=-50, max_value=400), max_size=80),
    gold_percent=st.sampled_from([10, 20]),
)
def test_the_gold_set_is_exactly_the_top_n_percent_with_ties_going_up(
    customer_values: list[int], gold_percent: int
) -> None:
    now = datetime(2026, 6, 15, tzinfo=UTC)
    accounts = [
        Account(customer_id=f"c-{i}", value_by_month={"2026-06": Decimal(v)})
        for i, v in enumerate(customer_values)
    ]
    rules = RULES.model_copy(update={"gold_percent": gold_percent})
    result = recompute_tiers(accounts, rules, now)
    moved = {c.customer_id: c.new_tier for c in result.changes}
    gold = {a.customer_id for a in accounts if moved.get(a.customer_id, a.tier) == "gold"}

    buyers = sorted((v for v in customer_values if v > 0), reverse=True)
    k = -(-gold_percent * len(buyers) // 100)  # ceil(N% of the buying customers)
    cutoff = buyers[k - 1] if k else None
    expected = {
        f"c-{i}" for i, v in enumerate(customer_values) if cutoff is not None and v >= cutoff
    }
    assert gold == expected
    for i, v in enumerate(customer_values):
        if f"c-{i}" in gold:  # fewer than N% of buyers are strictly better
            assert 100 * sum(1 for b in buyers if b > v) < gold_percent * len(buyers)
    if len(set(buyers)) == len(buyers):
        assert len(gold) == k

    settled = [a.model_copy(update={"tier": moved.get(a.customer_id, a.tier)}) for a in accounts]
    for account in settled:  # the incremental path agrees with the periodic job
        assert reassess_tier(account, result.thresholds, result.percentiles, now)[1] is None
