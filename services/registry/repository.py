"""Registry's collections, and nothing else.

Every hot read is by exact ``_id`` (O(1) on the stand-in, the primary index on MongoDB);
unique keys are documents keyed by ``_id`` so uniqueness holds without secondary indexes:

- ``customers``       _id: customer_id
- ``phones``          _id: E.164 phone -> customer_id
- ``loyalty_cards``   _id: card number -> customer_id
- ``caller_cards``    _id: customer_id, the read model (see ``domain.card_updates``)
- ``categories``      _id: slug
- ``category_usage``  _id: slug -> number of customers in it (kept with every write)
- ``meta``            _id: a fact about the database itself (e.g. defaults seeded)
- ``operators``       _id: operator_id, the people who sign in (password hash included)
- ``operator_logins`` _id: login (case-folded) -> operator_id
- ``extensions``      _id: phone extension -> operator_id
- ``login_attempts``  _id: login (case-folded): failed sign-ins in a row, for the throttle
- ``history``         _id: subject, who changed what (see ``shared.audit``)

Filters are always built here from typed values, never from request documents, so a
``$``-prefixed string is data, not an operator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.registry.domain import Category
from shared.database import Database, Document

DEFAULTS_SEEDED = "default_categories_seeded"


def _without_id(document: Document) -> Document:
    return {key: value for key, value in document.items() if key != "_id"}


class RegistryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.customers = db.collection("customers")
        self.phones = db.collection("phones")
        self.loyalty_cards = db.collection("loyalty_cards")
        self.cards = db.collection("caller_cards")
        self.categories = db.collection("categories")
        self.category_usage = db.collection("category_usage")
        self.meta = db.collection("meta")
        self.operators = db.collection("operators")
        self.operator_logins = db.collection("operator_logins")
        self.extensions = db.collection("extensions")
        self.login_attempts = db.collection("login_attempts")

    # customers ---------------------------------------------------------------------------
    async def customer(self, customer_id: str) -> Document | None:
        return await self.customers.find_one({"_id": str(customer_id)})

    async def add_customer(self, customer_id: str, document: Document) -> None:
        await self.customers.insert_one({"_id": customer_id, **document})

    async def update_customer(self, customer_id: str, changes: dict[str, Any]) -> None:
        await self.customers.update_one({"_id": customer_id}, {"$set": changes})

    # unique keys -------------------------------------------------------------------------
    async def customer_by_phone(self, phone: str) -> str | None:
        row = await self.phones.find_one({"_id": str(phone)})
        return None if row is None else str(row["customer_id"])

    async def claim_phone(self, phone: str, customer_id: str) -> None:
        await self.phones.insert_one({"_id": phone, "customer_id": customer_id})

    async def loyalty_card_owner(self, card_number: str) -> str | None:
        row = await self.loyalty_cards.find_one({"_id": str(card_number)})
        return None if row is None else str(row["customer_id"])

    async def claim_loyalty_card(self, card_number: str, customer_id: str) -> None:
        await self.loyalty_cards.insert_one({"_id": card_number, "customer_id": customer_id})

    async def release_loyalty_card(self, card_number: str) -> None:
        await self.loyalty_cards.delete_one({"_id": str(card_number)})

    # caller cards ------------------------------------------------------------------------
    async def card(self, customer_id: str) -> Document | None:
        return await self.cards.find_one({"_id": str(customer_id)})

    async def save_card(self, card: Document) -> None:
        customer_id = str(card["customer_id"])
        await self.cards.replace_one(
            {"_id": customer_id}, {**_without_id(card), "_id": customer_id}, upsert=True
        )

    # categories --------------------------------------------------------------------------
    async def category(self, slug: str) -> Category | None:
        row = await self.categories.find_one({"_id": str(slug)})
        return None if row is None else Category.model_validate(_without_id(row))

    async def all_categories(self) -> list[Category]:
        # A small collection (tens of rows): a scan is fine here.
        rows = await self.categories.find({}).sort("_id", 1).to_list()
        return [Category.model_validate(_without_id(row)) for row in rows]

    async def save_category(self, category: Category) -> None:
        # mode="json": the discount is a Decimal, which a document cannot hold.
        document = {**category.model_dump(mode="json"), "_id": category.slug}
        await self.categories.replace_one({"_id": category.slug}, document, upsert=True)

    async def delete_category(self, slug: str) -> None:
        await self.categories.delete_one({"_id": slug})
        await self.category_usage.delete_one({"_id": slug})

    async def category_usage_count(self, slug: str) -> int:
        row = await self.category_usage.find_one({"_id": str(slug)})
        return 0 if row is None else int(row["customers"])

    async def count_in_category(self, slug: str, delta: int) -> None:
        await self.category_usage.update_one(
            {"_id": slug}, {"$inc": {"customers": delta}}, upsert=True
        )

    # operators ---------------------------------------------------------------------------
    async def operator(self, operator_id: str) -> Document | None:
        return await self.operators.find_one({"_id": str(operator_id)})

    async def operator_by_login(self, login_key: str) -> Document | None:
        row = await self.operator_logins.find_one({"_id": str(login_key)})
        return None if row is None else await self.operator(row["operator_id"])

    async def all_operators(self) -> list[Document]:
        # The people of one call center: thousands at most, so a scan is fine.
        return await self.operators.find({}).sort("display_name", 1).to_list()

    async def any_operator(self) -> bool:
        return await self.operators.find_one({}, {"_id": 1}) is not None

    async def add_operator(self, document: Document) -> None:
        await self.operators.insert_one(document)
        if document.get("login"):
            await self.operator_logins.insert_one(
                {"_id": document["login"], "operator_id": document["_id"]})

    async def update_operator(self, operator_id: str, changes: dict[str, Any]) -> None:
        await self.operators.update_one({"_id": operator_id}, {"$set": changes})

    async def extension_owner(self, extension: str) -> str | None:
        row = await self.extensions.find_one({"_id": str(extension)})
        return None if row is None else str(row["operator_id"])

    async def claim_extension(self, extension: str, operator_id: str) -> None:
        await self.extensions.insert_one({"_id": extension, "operator_id": operator_id})

    async def release_extension(self, extension: str) -> None:
        await self.extensions.delete_one({"_id": str(extension)})

    async def login_attempt(self, login_key: str) -> Document | None:
        return await self.login_attempts.find_one({"_id": str(login_key)})

    async def save_login_attempt(self, login_key: str, failures: int,
                                 last_failure_at: datetime) -> None:
        await self.login_attempts.replace_one(
            {"_id": login_key},
            {"_id": login_key, "failures": failures, "last_failure_at": last_failure_at},
            upsert=True)

    async def clear_login_attempts(self, login_key: str) -> None:
        await self.login_attempts.delete_one({"_id": str(login_key)})

    # meta --------------------------------------------------------------------------------
    async def defaults_seeded(self) -> bool:
        return await self.meta.find_one({"_id": DEFAULTS_SEEDED}) is not None

    async def record_defaults_seeded(self, slugs: list[str]) -> None:
        await self.meta.insert_one(
            {"_id": DEFAULTS_SEEDED, "at": datetime.now(UTC), "inserted": slugs}
        )
