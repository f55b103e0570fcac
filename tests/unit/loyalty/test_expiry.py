from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.loyalty.domain import Account, EarningRules, apply_purchase
from services.loyalty.domain.expiry import apply_expiry, expires_at, expiry_check
from services.loyalty.domain.rules import PointsExpiry
from shared.contracts.events import PurchaseRecorded

MakePurchase = Callable[..., PurchaseRecorded]
START = datetime(2026, 1, 1, tzinfo=UTC)


def expiring(rules: EarningRules, after: int = 365, notice: int = 14) -> EarningRules:
    return rules.model_copy(update={"points_expiry": PointsExpiry(
        after_days=after, notice_days=notice)})


def earned(rules: EarningRules, purchase: MakePurchase, *days: int) -> Account:
    account = Account(customer_id="c-1")
    for day in days:
        at = START + timedelta(days=day)
        account, _ = apply_purchase(account, purchase("1000", at=at), rules, at)
    return account


def test_points_expire_after_the_span_without_earning_and_only_once(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    rules = expiring(rules)
    account = earned(rules, purchase, 0, 100)  # the clock restarts with each earning
    assert expires_at(account, rules) == START + timedelta(days=465)
    assert expiry_check(account, rules, START + timedelta(days=450)) is None
    decision = expiry_check(account, rules, START + timedelta(days=465))
    assert decision is not None
    assert (decision.kind, decision.points) == ("expire", account.points_balance)
    expired = apply_expiry(account, decision)
    assert expired.points_balance == 0
    assert expiry_check(expired, rules, START + timedelta(days=999)) is None  # a rerun


def test_a_notice_is_due_once_per_expiry_period(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    rules = expiring(rules)
    account = earned(rules, purchase, 0)
    decision = expiry_check(account, rules, START + timedelta(days=351))
    assert decision is not None and decision.kind == "notice"
    noticed = apply_expiry(account, decision)
    assert expiry_check(noticed, rules, START + timedelta(days=352)) is None  # a rerun
    renewed = earned(rules, purchase, 0, 300).model_copy(
        update={"expiry_notice_for": noticed.expiry_notice_for})
    again = expiry_check(renewed, rules, START + timedelta(days=652))
    assert again is not None and again.kind == "notice"  # a new period, a new notice


def test_points_never_expire_when_the_rule_is_off(
    rules: EarningRules, purchase: MakePurchase
) -> None:
    account = earned(rules, purchase, 0)
    assert expiry_check(account, expiring(rules, after=0), START + timedelta(days=9999)) is None
    assert expiry_check(account, rules, START + timedelta(days=9999)) is None  # absent
