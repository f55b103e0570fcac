"""Loyalty's repository on the stand-in database: how an account is written back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.loyalty.domain import Account
from services.loyalty.repository import account_document
from tests.unit.loyalty.wiring import NOW, new_repo


class CountedWrites:
    """The accounts collection, counting the writes that reach it."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.collection, name)
        if name in ("insert_one", "replace_one", "update_one", "delete_one"):
            self.writes += 1
        return attribute


def an_account() -> Account:
    return Account(customer_id="c-1", card_number="card-1", points_balance=40,
                   value_lifetime=Decimal("990.50"), value_by_month={"2026-06": Decimal("990.50")},
                   purchase_count=2, first_purchase_at=NOW, last_purchase_at=NOW,
                   recent_ids=["p-1", "p-2"])


async def test_an_account_saved_as_it_was_read_is_not_written_again() -> None:
    repo = new_repo()
    await repo.save(an_account())
    before = await repo.account("c-1")
    assert before is not None
    repo.accounts = counted = CountedWrites(repo.accounts)  # type: ignore[assignment]

    await repo.save(before.model_copy(), before)

    assert counted.writes == 0


async def test_a_changed_account_is_stored_whole_as_the_domain_left_it() -> None:
    repo = new_repo()
    await repo.save(an_account())
    before = await repo.account("c-1")
    assert before is not None
    after = before.model_copy(update={
        "points_balance": 52, "value_lifetime": Decimal("2190.50"),
        "value_by_month": {"2026-06": Decimal("2190.50")}, "recent_ids": ["p-1", "p-2", "p-3"],
        "tier": "gold"})

    await repo.save(after, before)

    assert await repo.account("c-1") == after
    stored = await repo.accounts.find_one({"_id": "c-1"})
    assert stored == account_document(after)


async def test_saving_over_an_account_erased_meanwhile_does_not_bring_it_back() -> None:
    repo = new_repo()
    await repo.save(an_account())
    before = await repo.account("c-1")
    assert before is not None
    await repo.delete_account("c-1")

    await repo.save(before.model_copy(update={"points_balance": 1}), before)

    assert await repo.account("c-1") is None
