"""Fixtures for the loyalty domain tests: explicit rules and a purchase factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from services.loyalty.domain import EarningRules
from shared.contracts.events import PurchaseRecorded

MakePurchase = Callable[..., PurchaseRecorded]


@pytest.fixture
def rules() -> EarningRules:
    return EarningRules.model_validate(
        {
            "currencies": {
                "RUB": {"spend_per_point": "100"},
                "USD": {"spend_per_point": "1"},
                "IRR": {"spend_per_point": "10000"},
            },
            "exchange": {
                "value_currency": "RUB",
                "currencies": {
                    "RUB": [{"since": "2020-01-01", "rate": "1"}],
                    "USD": [{"since": "2020-01-01", "rate": "95"}],
                    "IRR": [{"since": "2020-01-01", "rate": "0.0022"}],
                    "KZT": [{"since": "2020-01-01", "rate": "0.2"}],
                },
            },
            "tier_multipliers": {"standard": "1", "silver": "1.25", "gold": "1.5"},
            "category_multipliers": {"employee": "0.5"},
            "promotion_multiplier": "0.5",
            "referral_bonus_points": 500,
            "gold_percent": 20,
            "silver_percent": 20,
            "lapse_multiple": "2",
            "default_interval_days": "90",
            "min_interval_days": "7",
        }
    )


@pytest.fixture
def purchase() -> MakePurchase:
    ids = count(1)

    def make(
        amount: str,
        at: datetime = datetime(2026, 3, 15, 12, tzinfo=UTC),
        currency: str = "RUB",
        discounted: bool = False,
        purchase_id: str | None = None,
    ) -> PurchaseRecorded:
        return PurchaseRecorded(
            purchase_id=purchase_id or f"p-{next(ids)}",
            customer_id="c-1",
            amount=Decimal(amount),
            currency=currency,
            discounted=discounted,
            payment_method="card",
            occurred_at=at,
        )

    return make
