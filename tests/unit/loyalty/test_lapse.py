from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.loyalty.domain import (
    Account,
    EarningRules,
    apply_contact,
    apply_purchase,
    lapse_check,
    mark_lapsed,
)
from shared.contracts.events import PurchaseRecorded

MakePurchase = Callable[..., PurchaseRecorded]
START = datetime(2026, 1, 1, tzinfo=UTC)


def bought_on(rules: EarningRules, purchase: MakePurchase, *days: float) -> Account:
    account = Account(customer_id="c-1")
    for day in days:
        at = START + timedelta(days=day)
        account, _ = apply_purchase(account, purchase("100", at=at), rules, at)
    return account


def test_a_one_time_buyer_lapses_after_twice_the_default_interval(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = bought_on(rules, purchase, 0)
    assert lapse_check(account, rules, START + timedelta(days=180)) is None
    decision = lapse_check(account, rules, START + timedelta(days=181))
    assert decision is not None
    assert (decision.expected_interval_days, decision.days_since) == (90.0, 181.0)
    assert decision.last_purchase_at == START


def test_a_regular_buyer_lapses_after_twice_their_own_interval(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = bought_on(rules, purchase, 0, 10, 20)  # every 10 days, last on day 20
    assert lapse_check(account, rules, START + timedelta(days=40)) is None
    decision = lapse_check(account, rules, START + timedelta(days=41))
    assert decision is not None
    assert decision.expected_interval_days == 10.0


def test_purchases_on_the_same_day_do_not_make_the_usual_interval_shorter_than_a_week(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = bought_on(rules, purchase, 0, 0.01)
    assert lapse_check(account, rules, START + timedelta(days=13)) is None
    assert lapse_check(account, rules, START + timedelta(days=15)) is not None


def test_a_customer_who_never_bought_nor_got_in_touch_never_lapses(rules: EarningRules) -> None:
    assert lapse_check(Account(customer_id="c-1"), rules, START + timedelta(days=999)) is None


def test_a_lapse_fires_once(rules: EarningRules, purchase: MakePurchase) -> None:
    later = START + timedelta(days=200)
    account = bought_on(rules, purchase, 0)
    assert lapse_check(account, rules, later) is not None
    flagged = mark_lapsed(account, later)
    assert (flagged.lapsed, flagged.lapsed_since) == (True, later)
    assert lapse_check(flagged, rules, later + timedelta(days=30)) is None


def test_a_new_purchase_clears_the_lapse_and_a_later_lapse_fires_again(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    back = START + timedelta(days=200)
    flagged = mark_lapsed(bought_on(rules, purchase, 0), back)
    returned, _ = apply_purchase(flagged, purchase("100", at=back), rules, back)
    assert (returned.lapsed, returned.lapsed_since) == (False, None)
    # two purchases 200 days apart: lapsed again after 400 more days
    assert lapse_check(returned, rules, back + timedelta(days=399)) is None
    assert lapse_check(returned, rules, back + timedelta(days=401)) is not None


def test_a_refund_does_not_clear_a_lapse(rules: EarningRules, purchase: MakePurchase) -> None:
    later = START + timedelta(days=200)
    flagged = mark_lapsed(bought_on(rules, purchase, 0), later)
    refunded, _ = apply_purchase(flagged, purchase("-100", at=later), rules, later)
    assert refunded.lapsed


def test_a_late_arriving_purchase_older_than_the_last_does_not_clear_a_lapse(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    flagged_at = START + timedelta(days=200)
    flagged = mark_lapsed(bought_on(rules, purchase, 0, 10), flagged_at)
    late = purchase("100", at=START + timedelta(days=5))
    account, _ = apply_purchase(flagged, late, rules, flagged_at + timedelta(hours=1))
    assert account.lapsed
    assert account.purchase_count == 3


def contacted_on(account: Account, *days: float) -> Account:
    for day in days:
        account = apply_contact(account, START + timedelta(days=day))
    return account


def test_a_buyer_who_still_calls_lapses_with_reason_no_purchase(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = contacted_on(bought_on(rules, purchase, 0), 170)
    decision = lapse_check(account, rules, START + timedelta(days=181))
    assert decision is not None
    assert (decision.reason, decision.never_bought) == ("no_purchase", False)
    assert decision.last_purchase_at == START
    assert decision.last_contact_at == START + timedelta(days=170)


def test_a_buyer_out_of_touch_lapses_with_reason_no_contact(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = contacted_on(bought_on(rules, purchase, 0), 0.5)
    decision = lapse_check(account, rules, START + timedelta(days=181))
    assert decision is not None
    assert decision.reason == "no_contact"
    no_contacts = lapse_check(bought_on(rules, purchase, 0), rules, START + timedelta(days=181))
    assert no_contacts is not None
    assert (no_contacts.reason, no_contacts.last_contact_at) == ("no_contact", None)


def test_a_caller_who_never_bought_lapses_measured_from_the_first_contact(
    rules: EarningRules,
) -> None:
    account = contacted_on(Account(customer_id="c-1"), 10, 100, 185)
    assert lapse_check(account, rules, START + timedelta(days=190)) is None
    decision = lapse_check(account, rules, START + timedelta(days=191))
    assert decision is not None
    assert (decision.reason, decision.never_bought) == ("no_purchase", True)
    assert decision.last_purchase_at == START + timedelta(days=10)  # the first contact
    assert decision.days_since == 181.0


def test_a_caller_who_never_bought_and_went_quiet_lapses_with_reason_no_contact(
    rules: EarningRules,
) -> None:
    account = contacted_on(Account(customer_id="c-1"), 0)
    decision = lapse_check(account, rules, START + timedelta(days=181))
    assert decision is not None
    assert (decision.reason, decision.never_bought) == ("no_contact", True)


def test_a_contact_is_kept_once_whatever_the_order_and_does_not_end_a_lapse(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = contacted_on(Account(customer_id="c-1"), 5, 2, 5)
    assert (account.first_contact_at, account.last_contact_at) == (
        START + timedelta(days=2), START + timedelta(days=5))
    assert apply_contact(account, START + timedelta(days=5)) is account  # a redelivery
    lapsed = mark_lapsed(bought_on(rules, purchase, 0), START + timedelta(days=181))
    assert contacted_on(lapsed, 182).lapsed
    assert lapse_check(contacted_on(lapsed, 182), rules, START + timedelta(days=183)) is None
