"""Helpers for the loyalty use-case tests: a repository on the stand-in database, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.loyalty import jobs
from services.loyalty.domain import EarningRules
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import CustomerRegistered, Event, PurchaseRecorded
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


async def run_tier_job(repo: LoyaltyRepository, rules: EarningRules, now: datetime = NOW,
                       chunk: int = jobs.TIER_CHUNK) -> list[Event]:
    """The tier job as the service runs it: the thresholds stored, then a transaction per
    chunk of moves; every chunk's events."""
    plan = await jobs.plan_tiers(repo, rules, now)
    async with repo.db.transaction():
        await repo.save_tiers(plan.state)
    events: list[Event] = []
    for customers in jobs.tier_chunks(plan, chunk):
        async with repo.db.transaction():
            events += await jobs.apply_tiers(repo, plan.state, customers, now)
    return events
