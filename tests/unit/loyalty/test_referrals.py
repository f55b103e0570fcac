from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from services.loyalty.domain import (
    Account,
    EarningRules,
    apply_purchase,
    apply_referral_bonus,
    mark_referral_credited,
    referral_credit,
    referral_report,
)
from shared.contracts.events import PurchaseRecorded

MakePurchase = Callable[..., PurchaseRecorded]
NOW = datetime(2026, 3, 20, tzinfo=UTC)


def referred(rules: EarningRules, purchase: MakePurchase, *amounts: str) -> Account:
    account = Account(customer_id="c-new", referred_by="c-old")
    for amount in amounts:
        account, _ = apply_purchase(account, purchase(amount), rules, NOW)
    return account


def test_the_referrer_is_credited_after_the_first_purchase(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    credit = referral_credit(referred(rules, purchase, "100"), True, rules)
    assert credit is not None
    assert (credit.referrer_id, credit.referred_id, credit.bonus_points) == ("c-old", "c-new", 500)


def test_nothing_is_credited_before_the_first_purchase(rules: EarningRules) -> None:
    assert referral_credit(Account(customer_id="c-new", referred_by="c-old"), True, rules) is None


def test_a_refund_is_not_a_first_purchase(rules: EarningRules, purchase: MakePurchase) -> None:
    assert referral_credit(referred(rules, purchase, "-100"), True, rules) is None


def test_the_referrer_is_credited_only_once(rules: EarningRules, purchase: MakePurchase) -> None:
    account = referred(rules, purchase, "100")
    assert referral_credit(account, True, rules) is not None
    account = mark_referral_credited(account)
    account, _ = apply_purchase(account, purchase("200"), rules, NOW)
    assert referral_credit(account, True, rules) is None


def test_an_unknown_referrer_is_not_credited(rules: EarningRules, purchase: MakePurchase) -> None:
    assert referral_credit(referred(rules, purchase, "100"), False, rules) is None


def test_a_customer_who_referred_themselves_earns_nothing(rules: EarningRules) -> None:
    account = Account(customer_id="c-1", referred_by="c-1", purchase_count=1)
    assert referral_credit(account, True, rules) is None


def test_a_customer_nobody_referred_credits_nobody(rules: EarningRules) -> None:
    assert referral_credit(Account(customer_id="c-1", purchase_count=1), True, rules) is None


def test_the_bonus_lands_on_the_referrers_balance_once(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    credit = referral_credit(referred(rules, purchase, "100"), True, rules)
    assert credit is not None
    referrer = Account(customer_id="c-old", points_balance=40)
    once, delta = apply_referral_bonus(referrer, credit)
    again, redelivered = apply_referral_bonus(once, credit)
    assert (once.points_balance, delta) == (540, 500)
    assert (again.points_balance, redelivered) == (540, 0)


def test_the_referral_report_ranks_referrers_by_the_business_they_brought() -> None:
    accounts = [
        Account(customer_id="a", referred_by="r-1", purchase_count=1, value_lifetime=Decimal(50)),
        Account(
            customer_id="b",
            referred_by="r-2",
            purchase_count=2,
            value_lifetime=Decimal(300),
            referral_credited=True,
        ),
        Account(customer_id="c", referred_by="r-1", value_lifetime=Decimal(0)),
        Account(customer_id="d"),
    ]
    report = referral_report(accounts)
    assert [
        (s.referrer_id, s.referred_customers, s.buying_customers, s.credited, s.revenue)
        for s in report
    ] == [("r-2", 1, 1, 1, Decimal(300)), ("r-1", 2, 1, 0, Decimal(50))]
