"""The domain's outcome of a purchase or refund, of a refund's give-back and of a card
number: what the use cases record, decided without the database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.loyalty.domain import Account, EarningRules, Thresholds, UnknownCurrency
from services.loyalty.domain.cards import claim_card
from services.loyalty.domain.purchases import LedgerEntry, purchase_effect, refunded_purchase_id
from services.loyalty.domain.redemptions import give_back
from services.loyalty.domain.refunds import RefundRefused
from services.loyalty.domain.tiers import Percentiles
from shared.contracts.events import PurchaseRecorded

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
NO_TIERS = Thresholds(gold_min=None, silver_min=None, population=0, gold_percent=20,
                      silver_percent=30)


def recorded(amount: str, purchase_id: str = "p-2", refund_of: str | None = None,
             currency: str = "RUB") -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id, customer_id="c-1", amount=Decimal(amount),
        currency=currency, discounted=False, payment_method="card",
        occurred_at=datetime(2026, 3, 15, 12, tzinfo=UTC), refund_of=refund_of)


def bought(points: int = 100, refunded: str = "0") -> LedgerEntry:
    return LedgerEntry(purchase_id="p-1", customer_id="c-1", amount=Decimal("10000"),
                       currency="RUB", points=points,
                       occurred_at=datetime(2026, 3, 1, 12, tzinfo=UTC), refund_of=None,
                       event_id="e-1", refunded=Decimal(refunded))


def test_a_purchase_says_its_points_value_and_ledger_entry(rules: EarningRules) -> None:
    effect = purchase_effect(None, recorded("10000", "p-1"), "e-1", rules, NOW, NO_TIERS,
                             Percentiles())
    assert effect.points == 100 and effect.points_delta == 100
    assert effect.account.points_balance == 100
    assert effect.value_change == Decimal("10000")
    assert effect.entry == LedgerEntry(
        purchase_id="p-1", customer_id="c-1", amount=Decimal("10000"), currency="RUB",
        points=100, occurred_at=datetime(2026, 3, 15, 12, tzinfo=UTC), refund_of=None,
        event_id="e-1")
    assert effect.refund is None and effect.reversed_redemptions == ()


def test_a_refund_of_half_takes_back_half_the_points_the_purchase_earned(
        rules: EarningRules) -> None:
    before = Account(customer_id="c-1", points_balance=130, value_lifetime=Decimal("10000"))
    refund = recorded("-5000", refund_of="p-1")
    assert refunded_purchase_id(refund) == "p-1"
    effect = purchase_effect(before, refund, "e-2", rules, NOW, NO_TIERS, Percentiles(),
                             original=bought(points=130))
    assert effect.points == -65 and effect.account.points_balance == 65
    assert effect.value_change == Decimal("-5000")
    assert effect.refund is not None and effect.refund.refunded == Decimal("5000")
    assert effect.entry.points == -65 and effect.entry.refund_of == "p-1"


def test_a_refund_beyond_what_is_left_of_its_purchase_is_refused(rules: EarningRules) -> None:
    with pytest.raises(RefundRefused):
        purchase_effect(None, recorded("-6000", refund_of="p-1"), "e-2", rules, NOW, NO_TIERS,
                        Percentiles(), original=bought(refunded="5000"))


def test_a_currency_without_a_value_is_refused(rules: EarningRules) -> None:
    with pytest.raises(UnknownCurrency):
        purchase_effect(None, recorded("10", currency="JPY"), "e-1", rules, NOW, NO_TIERS,
                        Percentiles())


def test_a_refund_gives_back_the_customers_unreversed_redemptions_once() -> None:
    account = Account(customer_id="c-1", points_balance=10)
    back = give_back(account, [
        {"_id": "r-1", "customer_id": "c-1", "points": 30},
        {"_id": "r-2", "customer_id": "c-1", "points": 5, "reversed_by": "p-9"},
        {"_id": "r-3", "customer_id": "c-2", "points": 7},
    ])
    assert back.points == 30 and back.reversed == ("r-1",)
    assert back.account.points_balance == 40


def test_a_card_held_by_another_customer_is_not_taken_over() -> None:
    claim = claim_card(Account(customer_id="c-1", card_number="card-2"), "c-9", "card-1")
    assert claim.held_by == "c-9" and claim.assign is None
    assert claim.account.card_number == "card-1"


def test_a_new_card_number_frees_the_previous_one() -> None:
    claim = claim_card(Account(customer_id="c-1", card_number="card-2"), None, "card-1")
    assert (claim.assign, claim.release, claim.held_by) == ("card-2", "card-1", None)
