"""Helpers for the loyalty use-case tests: a repository on the stand-in database, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.loyalty.repository import LoyaltyRepository
from shared.contracts import CustomerRegistered, PurchaseRecorded
from shared.database.memory import MemoryDatabase

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


def new_repo() -> LoyaltyRepository:
    return LoyaltyRepository(MemoryDatabase(f"test-{uuid.uuid4().hex[:8]}"))


def bought(customer_id: str, amount: str, purchase_id: str | None = None,
           at: datetime = NOW, **fields: Any) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id or f"p-{uuid.uuid4().hex[:10]}", customer_id=customer_id,
        amount=Decimal(amount), currency=fields.pop("currency", "RUB"),
        discounted=fields.pop("discounted", False), payment_method="card", occurred_at=at,
        **fields,
    )


def registered(customer_id: str, **fields: Any) -> CustomerRegistered:
    digits = str(abs(hash(customer_id)) % 10**9).zfill(9)
    return CustomerRegistered(
        customer_id=customer_id, full_name="Olga Smirnova", phone=f"+79{digits}",
        country="RU", person_type=fields.pop("person_type", "individual"),
        category=fields.pop("category", "ordinary"), entered_by="operator", **fields,
    )
