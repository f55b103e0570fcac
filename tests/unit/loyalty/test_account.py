from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.loyalty.domain import (
    BUCKET_MONTHS,
    Account,
    EarningRules,
    already_applied,
    apply_customer_update,
    apply_purchase,
    apply_registration,
    fold_old_months,
    loyalty_figures,
    month_key,
    trailing_12m_value,
    value_month,
    value_year,
)
from shared.contracts.events import (
    CustomerRegistered,
    CustomerUpdated,
    LoyaltyUpdated,
    PurchaseRecorded,
)

MakePurchase = Callable[..., PurchaseRecorded]

NEW_YEARS_EVE = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
NEW_YEAR = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)


def apply_all(
    rules: EarningRules, purchases: list, now: datetime, account: Account | None = None
) -> Account:
    account = account or Account(customer_id="c-1")
    for p in purchases:
        account, _ = apply_purchase(account, p, rules, now)
    return account


def test_a_purchase_adds_points_value_and_a_visit(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account, delta = apply_purchase(
        Account(customer_id="c-1"), purchase("1250.00"), rules, NEW_YEAR
    )
    assert delta == 12
    assert account.points_balance == 12
    assert account.value_lifetime == Decimal("1250.00")
    assert account.purchase_count == 1


def test_a_redelivered_purchase_changes_nothing(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    once, _ = apply_purchase(
        Account(customer_id="c-1"), purchase("500", purchase_id="p-9"), rules, NEW_YEAR
    )
    twice, delta = apply_purchase(once, purchase("500", purchase_id="p-9"), rules, NEW_YEAR)
    assert delta == 0
    assert twice == once
    assert already_applied(twice, "p-9")


def test_a_refund_reduces_value_and_points_but_is_not_a_visit(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(rules, [purchase("1000"), purchase("-400")], NEW_YEAR)
    assert account.value_lifetime == Decimal("600")
    assert account.points_balance == 10 - 4
    assert account.purchase_count == 1


def test_a_refund_alone_leaves_no_purchase_times(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(rules, [purchase("-300")], NEW_YEAR)
    assert account.last_purchase_at is None
    assert account.value_lifetime == Decimal("-300")


def test_a_purchase_in_dollars_counts_as_value_in_roubles(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(rules, [purchase("10", currency="USD")], NEW_YEAR)
    assert account.value_lifetime == Decimal("950.0000")
    assert account.points_balance == 10


def test_the_last_second_of_a_year_belongs_to_december(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(
        rules, [purchase("100", at=NEW_YEARS_EVE), purchase("7", at=NEW_YEAR)], NEW_YEAR
    )
    assert value_month(account, NEW_YEARS_EVE) == Decimal("100")
    assert value_month(account, NEW_YEAR) == Decimal("7")


def test_this_years_value_starts_again_in_january(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(
        rules, [purchase("100", at=NEW_YEARS_EVE), purchase("7", at=NEW_YEAR)], NEW_YEAR
    )
    assert value_year(account, NEW_YEAR) == Decimal("7")
    assert value_year(account, NEW_YEARS_EVE) == Decimal("100")
    assert account.value_lifetime == Decimal("107")


def test_this_months_value_is_zero_in_a_month_without_purchases(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(
        rules, [purchase("100", at=datetime(2026, 1, 31, 23, tzinfo=UTC))], NEW_YEAR
    )
    assert value_month(account, datetime(2026, 2, 1, tzinfo=UTC)) == 0
    assert value_year(account, datetime(2026, 2, 1, tzinfo=UTC)) == Decimal("100")


def test_trailing_twelve_months_are_this_month_and_the_eleven_before(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    dates = [
        datetime(2025, 3, 31, tzinfo=UTC),
        datetime(2025, 4, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    ]
    account = apply_all(
        rules,
        [purchase("1", at=dates[0]), purchase("10", at=dates[1]), purchase("100", at=dates[2])],
        dates[2],
    )
    assert trailing_12m_value(account, datetime(2026, 3, 20, tzinfo=UTC)) == Decimal("110")


def test_a_late_purchase_is_filed_in_its_own_month(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    march = datetime(2026, 3, 10, tzinfo=UTC)
    account = apply_all(
        rules, [purchase("50", at=march), purchase("20", at=march - timedelta(days=40))], march
    )
    assert account.value_by_month == {"2026-03": Decimal("50"), "2026-01": Decimal("20")}
    assert account.first_purchase_at == march - timedelta(days=40)
    assert account.last_purchase_at == march


def test_months_older_than_the_bucket_window_are_folded_into_lifetime_only(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    old = datetime(2023, 1, 10, tzinfo=UTC)
    account = apply_all(rules, [purchase("500", at=old)], old)
    later = old + timedelta(days=31 * BUCKET_MONTHS)
    folded = fold_old_months(account, later)
    assert folded.value_by_month == {}
    assert folded.value_lifetime == Decimal("500")


def test_the_account_keeps_at_most_the_bucket_window_of_months(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    start = datetime(2022, 1, 15, tzinfo=UTC)
    stream = [purchase("10", at=start + timedelta(days=30 * i)) for i in range(48)]
    account = apply_all(rules, stream, start + timedelta(days=30 * 47))
    assert len(account.value_by_month) <= BUCKET_MONTHS
    assert account.value_lifetime == Decimal("480")


def test_the_average_basket_is_net_value_per_purchase(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(rules, [purchase("100"), purchase("200"), purchase("-33.33")], NEW_YEAR)
    assert account.average_basket == Decimal("133.34")


def test_the_average_interval_spans_first_to_last_purchase(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)
    stream = [
        purchase("1", at=day),
        purchase("1", at=day + timedelta(days=10)),
        purchase("1", at=day + timedelta(days=30)),
    ]
    account = apply_all(rules, stream, day + timedelta(days=30))
    assert account.average_interval_days == 15.0


def test_a_one_time_buyer_has_no_average_interval(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    assert apply_all(rules, [purchase("1")], NEW_YEAR).average_interval_days is None


def test_month_keys_are_utc_calendar_months() -> None:
    moscow_new_year = datetime.fromisoformat("2026-01-01T01:00:00+03:00")
    assert month_key(moscow_new_year) == "2025-12"


def test_a_registration_after_a_purchase_keeps_the_purchase(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    early = apply_all(rules, [purchase("700")], NEW_YEAR)
    registered = CustomerRegistered(
        customer_id="c-1",
        full_name="Anna Petrova",
        phone="+79001234567",
        country="RU",
        person_type="individual",
        category="vip",
        source="friend",
        referred_by="c-0",
        card_number="card-1",
        entered_by="operator",
    )
    account = apply_registration(early, registered)
    assert (account.category, account.source, account.referred_by) == ("vip", "friend", "c-0")
    assert account.value_lifetime == Decimal("700")


def test_a_customer_update_changes_only_the_fields_it_carries() -> None:
    account = Account(customer_id="c-1", category="ordinary", source="ads", card_number="k-1")
    updated = apply_customer_update(account, CustomerUpdated(customer_id="c-1", category="vip"))
    assert (updated.category, updated.source, updated.card_number) == ("vip", "ads", "k-1")


def test_the_account_document_round_trips_through_json(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = apply_all(rules, [purchase("1.0001"), purchase("2")], NEW_YEAR)
    restored = Account.model_validate_json(account.model_dump_json())
    assert restored == account


def test_loyalty_figures_make_a_valid_loyalty_updated_event(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account, delta = apply_purchase(
        Account(customer_id="c-1", card_number="k-7"),
        purchase("1250.50", at=NEW_YEAR),
        rules,
        NEW_YEAR,
    )
    event = LoyaltyUpdated(**loyalty_figures(account, delta, NEW_YEAR))  # type: ignore[arg-type]
    assert (event.points_delta, event.value_month, event.card_number) == (
        12,
        Decimal("1250.50"),
        "k-7",
    )
