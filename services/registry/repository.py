"""Registry's collections, and nothing else.

Every hot read is by exact ``_id`` (O(1) on the stand-in, the primary index on MongoDB);
unique keys are documents keyed by ``_id`` so uniqueness holds without secondary indexes:

- ``customers``       _id: customer_id
- ``phones``          _id: E.164 phone -> customer_id
- ``loyalty_cards``   _id: card number -> customer_id
- ``caller_cards``    _id: customer_id, the read model (see ``domain.card_updates``)
- ``categories``      _id: slug
- ``category_usage``  _id: slug -> number of customers in it (kept with every write)
- ``sources``         _id: slug, where customers come from (``domain.sources``)
- ``meta``            _id: a fact about the database itself (e.g. defaults seeded)
- ``operators``       _id: operator_id, the people who sign in (password hash included)
- ``operator_logins`` _id: login (case-folded) -> operator_id
- ``extensions``      _id: phone extension -> operator_id
- ``login_attempts``  _id: login (case-folded): failed sign-ins in a row, for the throttle
- ``history``         _id: subject, who changed what (see ``shared.audit``)
- ``customer_search`` _id: customer_id, the keys a customer is found by (``domain.search``)
- ``activity``        _id: ``purchase:<id>`` / ``interaction:<id>``, every one of them, for
                      the card's full history (the card itself keeps the last five)
- ``notes``           _id: note_id, operators' notes on a customer
- ``thank_yous``      _id: thank_you_id, operators' thank-yous (the event sent)
- ``calls``           _id: the PBX's call_id, a call while it rings, is talked and ends
- ``live_calls``      _id: call_id, the calls still going on (see ``save_call``)

Secondary indexes (multikey ``customer_search.keys``; ``customer_id`` of ``activity`` and
``notes``; ``live_calls.operator_id``) serve the few reads that are not by ``_id``. The
stand-in has none and scans: fine for its size, and each read takes what it needs.

Filters are always built here from typed values, never from request documents, so a
``$``-prefixed string is data, not an operator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.registry.domain import Category
from services.registry.domain.calls import Call
from services.registry.domain.sources import Source
from shared.clock import utc_now
from shared.database import Database, Document
from shared.database.port import Cursor

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
        self.search = db.collection("customer_search")
        self.activity = db.collection("activity")
        self.notes = db.collection("notes")
        self.thank_yous = db.collection("thank_yous")
        self.calls = db.collection("calls")
        self.live_calls = db.collection("live_calls")
        self.sources = db.collection("sources")

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

    async def card_ids_in_category(self, slug: str) -> list[str]:
        """The ids of every card in a category (the ``category`` index on MongoDB)."""
        rows = await self.cards.find({"category": str(slug)}, {"_id": 1}).to_list()
        return sorted(str(row["_id"]) for row in rows)

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

    # sources ---------------------------------------------------------------------------
    async def all_sources(self) -> list[Source]:
        """Every source, by slug."""
        rows = await self.sources.find({}).sort("_id", 1).to_list()
        return [Source.model_validate(_without_id(row)) for row in rows]

    async def save_source(self, source: Source) -> None:
        document = {**source.model_dump(mode="json"), "_id": source.slug}
        await self.sources.replace_one({"_id": source.slug}, document, upsert=True)

    async def delete_source(self, slug: str) -> None:
        await self.sources.delete_one({"_id": str(slug)})

    async def source_usage_count(self, slug: str) -> int:
        """Customers whose source is ``slug`` (the ``source`` index on MongoDB)."""
        return int(await self.customers.count_documents({"source": str(slug)}))

    async def customer_sources(self, after: str, limit: int) -> list[Document]:
        """``{_id, source}`` of customers with a source, by id after ``after``: a sweep."""
        rows = await (self.customers.find({"_id": {"$gt": after}, "source": {"$ne": None}},
                                          {"_id": 1, "source": 1})
                      .sort("_id", 1).limit(limit).to_list())
        return list(rows)

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

    async def expire_login_attempts(self, after: timedelta) -> None:
        """Failed sign-ins are forgotten ``after`` the last one (a TTL index)."""
        await self.login_attempts.create_index(
            "last_failure_at", expireAfterSeconds=int(after.total_seconds()))

    # search ------------------------------------------------------------------------------
    async def save_search_keys(self, customer_id: str, name: str, keys: list[str]) -> None:
        await self.search.replace_one(
            {"_id": customer_id}, {"_id": customer_id, "name": name, "keys": keys}, upsert=True)

    async def search_candidates(self, keys: list[str], cap: int) -> list[Document]:
        """Customers having any of ``keys`` (at most ``cap``): ``_id``, ``name``, ``keys``."""
        return await self.search.find({"keys": {"$in": list(keys)}}).limit(cap).to_list()

    async def customers_by_id(self, customer_ids: list[str]) -> dict[str, Document]:
        found = {}
        for customer_id in customer_ids:  # exact _id reads: O(1) each on both databases
            document = await self.customer(customer_id)
            if document is not None:
                found[customer_id] = document
        return found

    # activity and notes -------------------------------------------------------------------
    async def record_activity(self, key: str, customer_id: str, occurred_at: datetime,
                              entry: Document) -> None:
        """One purchase or interaction, once (a redelivery or a second path overwrites it)."""
        await self.activity.replace_one(
            {"_id": key},
            {"_id": key, "customer_id": customer_id, "occurred_at": occurred_at, **entry},
            upsert=True)

    async def purchase_activity(self, purchase_id: str) -> Document | None:
        """The purchase (or refund) kept in the history under this purchase_id, if any."""
        return await self.activity.find_one({"_id": f"purchase:{purchase_id}"})

    async def activity_of(self, customer_id: str, kind: str | None) -> list[Document]:
        """A customer's purchases and interactions, newest first."""
        filter: dict[str, Any] = {"customer_id": str(customer_id)}
        if kind is not None:
            filter["kind"] = kind
        rows = await self.activity.find(filter).to_list()
        rows.sort(key=lambda row: row["occurred_at"], reverse=True)
        return rows

    async def add_note(self, document: Document) -> None:
        await self.notes.insert_one(document)

    async def notes_of(self, customer_id: str) -> list[Document]:
        rows = await self.notes.find({"customer_id": str(customer_id)}).to_list()
        rows.sort(key=lambda row: row["at"], reverse=True)
        return rows

    async def thank_you(self, thank_you_id: str) -> Document | None:
        return await self.thank_yous.find_one({"_id": thank_you_id})

    async def add_thank_you(self, document: Document) -> None:
        await self.thank_yous.insert_one(document)

    async def thank_yous_of(self, customer_id: str) -> list[Document]:
        return list(await self.thank_yous.find({"customer_id": str(customer_id)}).to_list())

    async def delete_thank_yous_of(self, customer_id: str) -> int:
        result = await self.thank_yous.delete_many({"customer_id": str(customer_id)})
        return int(result.deleted_count)

    # calls -------------------------------------------------------------------------------
    # ``live_calls`` mirrors the calls still going on (ringing, talked, in after-call work):
    # a handful at any moment, so the reads on every stream connect and every second of the
    # wrap-up job stay small whatever a day's calls add up to.
    async def call(self, call_id: str) -> Call | None:
        row = await self.calls.find_one({"_id": str(call_id)})
        return None if row is None else Call.from_document(row)

    async def save_call(self, call: Call) -> None:
        await self.calls.replace_one({"_id": call.call_id}, call.document(), upsert=True)
        if call.logged or (call.state == "ended" and call.wrap_up_until is None):
            await self.live_calls.delete_one({"_id": call.call_id})
        else:
            await self.live_calls.replace_one({"_id": call.call_id}, {
                "_id": call.call_id, "operator_id": call.operator_id, "state": call.state,
                "opened_at": call.opened_at, "wrap_up_until": call.wrap_up_until,
            }, upsert=True)

    async def _calls(self, rows: list[Document]) -> list[Call]:
        found = [await self.call(row["_id"]) for row in rows]
        return [call for call in found if call is not None]

    async def open_calls_of(self, operator_id: str, since: datetime) -> list[Call]:
        """The person's calls ringing or talked that began after ``since``, oldest first."""
        rows = await self.live_calls.find({"operator_id": str(operator_id)}).to_list()
        recent = [row for row in rows
                  if row["state"] in ("ringing", "answered") and row["opened_at"] >= since]
        return sorted(await self._calls(recent), key=lambda call: call.opened_at)

    async def calls_wrapping_up(self, now: datetime) -> list[Call]:
        """Ended calls whose after-call work has run out and are not logged yet."""
        rows = await self.live_calls.find({"wrap_up_until": {"$lte": now}}).to_list()
        return await self._calls(rows)

    async def forget_calls_before(self, cutoff: datetime) -> int:
        await self.live_calls.delete_many({"opened_at": {"$lt": cutoff}})
        result = await self.calls.delete_many({"opened_at": {"$lt": cutoff}})
        return int(result.deleted_count)

    # subject access and erasure ----------------------------------------------------------
    async def calls_of(self, customer_id: str) -> list[Document]:
        """The calls stored as the customer's, as they are stored."""
        return await self.calls.find({"customer_id": str(customer_id)}).to_list()

    async def search_keys_of(self, customer_id: str) -> Document | None:
        return await self.search.find_one({"_id": str(customer_id)})

    def customer_names(self) -> Cursor:
        """Every customer's name and email (for building the search keys), as a cursor."""
        return self.customers.find({}, {"full_name": 1, "email": 1})

    # Each of these returns how many documents it removed, for the erasure receipt.
    async def delete_customer(self, customer_id: str) -> int:
        return int((await self.customers.delete_one({"_id": str(customer_id)})).deleted_count)

    async def release_phone(self, phone: str, customer_id: str) -> int:
        result = await self.phones.delete_one({"_id": str(phone), "customer_id": customer_id})
        return int(result.deleted_count)

    async def release_card_of(self, card_number: str, customer_id: str) -> int:
        result = await self.loyalty_cards.delete_one(
            {"_id": str(card_number), "customer_id": customer_id})
        return int(result.deleted_count)

    async def delete_card(self, customer_id: str) -> int:
        return int((await self.cards.delete_one({"_id": str(customer_id)})).deleted_count)

    async def forget_search_keys(self, customer_id: str) -> int:
        return int((await self.search.delete_one({"_id": str(customer_id)})).deleted_count)

    async def delete_activity_of(self, customer_id: str) -> int:
        result = await self.activity.delete_many({"customer_id": str(customer_id)})
        return int(result.deleted_count)

    async def delete_notes_of(self, customer_id: str) -> int:
        return int((await self.notes.delete_many({"customer_id": str(customer_id)})).deleted_count)

    async def delete_calls_of(self, customer_id: str, phone: str | None) -> int:
        """The customer's calls, any other call from their number (kept 24 h), and calls
        whose number might have been theirs (``choices``)."""
        who: list[dict[str, Any]] = [{"customer_id": str(customer_id)},
                                     {"choices": str(customer_id)}]
        if phone:
            who.append({"phone": str(phone)})
        ids = [row["_id"] for row in await self.calls.find({"$or": who}, {"_id": 1}).to_list()]
        if not ids:
            return 0
        await self.live_calls.delete_many({"_id": {"$in": ids}})
        return int((await self.calls.delete_many({"_id": {"$in": ids}})).deleted_count)

    async def create_indexes(self) -> None:
        await self.search.create_index("keys")
        await self.activity.create_index("customer_id")
        await self.notes.create_index("customer_id")
        await self.thank_yous.create_index("customer_id")  # erasure, subject access
        await self.calls.create_index("opened_at")
        await self.calls.create_index("customer_id")  # erasure
        await self.calls.create_index("phone")
        await self.calls.create_index("choices")  # erasure: an $or uses an index per clause
        await self.live_calls.create_index("operator_id")
        await self.cards.create_index("category")  # a category's rule change: its customers
        await self.customers.create_index("source")  # deleting a source: is it in use?

    # meta --------------------------------------------------------------------------------
    async def defaults_seeded(self) -> bool:
        return await self.meta.find_one({"_id": DEFAULTS_SEEDED}) is not None

    async def fact(self, name: str) -> Document | None:
        return await self.meta.find_one({"_id": name})

    async def record_fact(self, name: str, value: Document) -> None:
        await self.meta.replace_one({"_id": name}, {"_id": name, **value}, upsert=True)

    async def record_defaults_seeded(self, slugs: list[str]) -> None:
        await self.meta.insert_one(
            {"_id": DEFAULTS_SEEDED, "at": utc_now(), "inserted": slugs}
        )
