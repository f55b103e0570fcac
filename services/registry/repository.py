"""Registry's collections. Unique keys are documents keyed by ``_id`` (phones, cards), so
uniqueness holds without secondary indexes and every lookup is by exact id."""

from __future__ import annotations

from typing import Any

from shared.database import Database, Document


class RegistryRepository:
    def __init__(self, db: Database) -> None:
        self.customers = db.collection("customers")
        self.phones = db.collection("phones")  # _id: E.164 phone -> customer_id
        self.cards = db.collection("caller_cards")  # _id: customer_id, the read model
        self.loyalty_cards = db.collection("loyalty_cards")  # _id: card number -> customer_id
        self.categories = db.collection("categories")  # _id: slug

    async def customer_by_phone(self, phone: str) -> str | None:
        row = await self.phones.find_one({"_id": phone})
        return None if row is None else str(row["customer_id"])

    async def customer(self, customer_id: str) -> Document | None:
        return await self.customers.find_one({"_id": customer_id})

    async def card(self, customer_id: str) -> Document | None:
        return await self.cards.find_one({"_id": customer_id})

    async def save_card(self, card: Document) -> None:
        await self.cards.replace_one({"_id": card["_id"]}, card, upsert=True)

    async def update_card(self, customer_id: str, changes: dict[str, Any]) -> bool:
        result = await self.cards.update_one({"_id": customer_id}, {"$set": changes})
        return bool(result.matched_count)
