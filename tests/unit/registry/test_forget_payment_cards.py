"""Card numbers kept from before payment card numbers were refused: removed at start-up."""

from __future__ import annotations

from services.loyalty.repository import LoyaltyRepository
from services.registry.repository import RegistryRepository
from shared.database.memory import MemoryDatabase
from shared.privacy import forget_payment_card_numbers

PAN = "4111111111111111"


async def test_registry_forgets_stored_payment_card_numbers_and_keeps_loyalty_ones() -> None:
    repo = RegistryRepository(MemoryDatabase("registry"))
    for customer_id, number in (("c-1", PAN), ("c-2", "LC-000123")):
        await repo.claim_loyalty_card(number, customer_id)
        await repo.add_customer(customer_id, {"card_number": number, "category": "ordinary"})
        await repo.save_card({"customer_id": customer_id, "card_number": number})
    assert await forget_payment_card_numbers(repo.db, "loyalty_cards",
                                             ["customers", "caller_cards"]) == 1
    assert await repo.loyalty_card_owner(PAN) is None
    assert (await repo.customer("c-1") or {})["card_number"] is None
    assert (await repo.card("c-1") or {})["card_number"] is None
    assert await repo.loyalty_card_owner("LC-000123") == "c-2"
    assert (await repo.customer("c-2") or {})["card_number"] == "LC-000123"
    # Once per database: a later start does not scan again (nothing new can be a PAN).
    await repo.claim_loyalty_card("5500000000000004", "c-3")
    assert await forget_payment_card_numbers(repo.db, "loyalty_cards",
                                             ["customers", "caller_cards"]) == 0
    assert await repo.fact("payment_card_numbers_forgotten") is not None


async def test_loyalty_forgets_stored_payment_card_numbers_and_keeps_loyalty_ones() -> None:
    repo = LoyaltyRepository(MemoryDatabase("loyalty"))
    for customer_id, number in (("c-1", PAN), ("c-2", "LC-000123")):
        await repo.assign_card(number, customer_id)
        await repo.accounts.insert_one({"_id": customer_id, "customer_id": customer_id,
                                        "card_number": number})
    assert await forget_payment_card_numbers(repo.db, "cards", ["accounts"]) == 1
    assert await repo.card_owner(PAN) is None
    assert (await repo.account("c-1")).card_number is None  # type: ignore[union-attr]
    assert await repo.card_owner("LC-000123") == "c-2"
