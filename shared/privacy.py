"""Erasure and subject access: what a service keeps about a customer, and its removal.

An admin asks registry to erase a customer (``POST /api/customers/{id}/erasure``). Registry
removes its own copy in the same transaction and publishes ``crm.customer.erased.v1``; each
other service removes or anonymises its copy when it consumes that event. Every service
then keeps one **receipt** in ``erasures`` (``_id`` = customer id): when, at whose
request, and how many documents it removed or anonymised in which collection. The
receipt names no one but the id, and is also the tombstone the consume path checks
(``Subscription``): an event about an erased customer that arrives later (in flight, a
replay, a redelivery) is dropped, so nothing is created again.

``GET /api/privacy/{customer_id}`` (admin) on every service answers with the receipt and
everything the service still keeps about the customer (subject access, GDPR art. 15);
``crm privacy export|report`` collects the four answers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder

from shared.auth import Admin
from shared.clock import utc_now
from shared.contracts.types import looks_like_payment_card
from shared.database import Database, Document

log = logging.getLogger(__name__)

COLLECTION = "erasures"
#: Fields of an event naming the customer it is about (a referral: the one thanked).
SUBJECT_FIELDS = ("customer_id", "referrer_id")
PAYMENT_CARDS_FORGOTTEN = "payment_card_numbers_forgotten"  # a fact in the ``meta`` collection

Holdings = Callable[[str], Awaitable[Mapping[str, list[Document]]]]


@dataclass
class Erased:
    """What one service did to one customer's data: documents per collection."""

    removed: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)

    def remove(self, collection: str, count: int) -> None:
        if count:
            self.removed[collection] = self.removed.get(collection, 0) + count

    def anonymise(self, collection: str, count: int) -> None:
        if count:
            self.anonymised[collection] = self.anonymised.get(collection, 0) + count


def subject_of(event: Any) -> str | None:
    """The customer an event is about, if any (operator updates are about nobody)."""
    for name in SUBJECT_FIELDS:
        value = getattr(event, name, None)
        if value:
            return str(value)
    return None


class Erasures:
    """The receipts of erasures done by this service; each is also a tombstone."""

    def __init__(self, db: Database) -> None:
        self.collection = db.collection(COLLECTION)

    async def erased_among(self, customer_ids: Iterable[str]) -> set[str]:
        """Which of ``customer_ids`` were erased here (one query for a consumed batch)."""
        wanted = sorted({str(customer_id) for customer_id in customer_ids})
        if not wanted:
            return set()
        rows = await self.collection.find({"_id": {"$in": wanted}}, {"_id": 1}).to_list()
        return {str(row["_id"]) for row in rows}

    async def receipt(self, customer_id: str) -> Document | None:
        return await self.collection.find_one({"_id": str(customer_id)})

    async def record(self, customer_id: str, requested_by: str, result: Erased,
                     at: datetime | None = None) -> None:
        """Keep the receipt (inside the erasing transaction). A second request for the same
        customer adds its counts and keeps the first request's time and requester."""
        counts = {f"removed.{name}": n for name, n in result.removed.items()}
        counts |= {f"anonymised.{name}": n for name, n in result.anonymised.items()}
        update: dict[str, Any] = {"$setOnInsert": {
            "erased_at": at or utc_now(), "requested_by": requested_by}}
        if counts:
            update["$inc"] = counts
        await self.collection.update_one({"_id": str(customer_id)}, update, upsert=True)
        log.info("customer %s erased: removed %s, anonymised %s", customer_id,
                 result.removed or "nothing", result.anonymised or "nothing")


async def scrub_after_erasures(db: Database) -> int:
    """Rewrite the storage once erasures happened since the last time; receipts say when.

    The stand-in's journal keeps after-images of removed documents until it is compacted;
    this job (every ``CRM_ERASURE_SCRUB_S``) compacts it and stamps the receipts it covered
    with ``scrubbed_at``. How many receipts it covered.
    """
    erasures = db.collection(COLLECTION)
    waiting = await erasures.find({"scrubbed_at": None}, {"_id": 1}).to_list()
    if not waiting:
        return 0
    await db.scrub()
    async with db.transaction():
        for row in waiting:
            await erasures.update_one({"_id": row["_id"]},
                                      {"$set": {"scrubbed_at": utc_now()}})
    await db.durable()
    log.info("storage rewritten after %d erasure(s)", len(waiting))
    return len(waiting)


async def forget_payment_card_numbers(db: Database, cards: str, holders: Sequence[str]) -> int:
    """Card numbers stored before payment card numbers were refused, and shaped like one,
    go: from the ``cards`` index (``_id`` number -> ``customer_id``), and as ``card_number``
    from the owner's document in each of ``holders``. A PAN is kept nowhere. How many.

    Once per database (a ``meta`` fact): no card number taken in since can be one, so
    later starts do not scan the card index again.
    """
    meta = db.collection("meta")
    if await meta.find_one({"_id": PAYMENT_CARDS_FORGOTTEN}) is not None:
        return 0
    index = db.collection(cards)
    rows = await index.find({}, {"_id": 1, "customer_id": 1}).to_list()
    found = [row for row in rows if looks_like_payment_card(str(row["_id"]))]
    async with db.transaction():
        await meta.insert_one({"_id": PAYMENT_CARDS_FORGOTTEN, "at": utc_now(),
                               "removed": len(found)})
        for row in found:
            await index.delete_one({"_id": row["_id"]})
            for name in holders:
                await db.collection(name).update_one({"_id": row["customer_id"]},
                                                     {"$set": {"card_number": None}})
    await db.durable()
    if found:
        log.warning("removed %d stored card numbers shaped like payment card numbers",
                    len(found))
    return len(found)


def _plain(value: Any) -> Any:
    """A stored document as JSON would show it (dates as ISO text, money as text)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, Decimal | Enum):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return jsonable_encoder(value)


def install_privacy(app: FastAPI, service: str, erasures: Erasures,
                    holdings: Holdings) -> None:
    """``GET /api/privacy/{customer_id}``: the receipt and what is still kept (admins)."""

    @app.get("/api/privacy/{customer_id}", tags=["privacy"],
             summary="Everything this service keeps about a customer (subject access), and "
                     "its erasure receipt if the customer was erased")
    async def subject_access(customer_id: str, principal: Admin) -> dict[str, Any]:
        # Who read whose data is itself kept in the log: ids only.
        log.info("subject access: %s read what %s keeps about %s", principal.actor, service,
                 customer_id)
        receipt = await erasures.receipt(customer_id)
        data = {name: docs for name, docs in (await holdings(customer_id)).items() if docs}
        return {
            "service": service,
            "customer_id": customer_id,
            "erasure": None if receipt is None else _plain(
                {key: value for key, value in receipt.items() if key != "_id"}),
            "data": _plain(data),
        }
