"""Finding customers, and what an operator reads beyond the card: the whole history and
the notes.

The search keys of a customer are kept with every registration and every change of name
or email (``index_customer``); ``index_all`` builds them for customers stored before search
existed, once per version of the key scheme.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.registry.domain.errors import InvalidPhone, Unprocessable
from services.registry.domain.search import (
    email_key,
    looks_like_number,
    name_query,
    search_keys,
)
from services.registry.repository import RegistryRepository
from shared.contracts import Event, InteractionLogged, PurchaseRecorded
from shared.database import Document
from shared.phones import phone_lookup_readings

KEY_SCHEME = "search_keys_v1"
CANDIDATE_CAP = 500  # name matches looked at per query; a wider query says "refine it"
MAX_QUERY_LENGTH = 200
_CUSTOMER_ID = re.compile(r"^c-[0-9a-f]{32}$")


async def index_customer(repo: RegistryRepository, customer_id: str, full_name: str,
                         email: str | None) -> None:
    await repo.save_search_keys(customer_id, full_name, search_keys(full_name, email))


async def index_all(repo: RegistryRepository,
                    command: Callable[[], AbstractAsyncContextManager[None]],
                    batch: int = 1000) -> int:
    """Keys for every customer, unless this key scheme has already been built: a thousand
    customers a transaction (one for all would outgrow a MongoDB transaction's limits).
    Stopped half-way, it starts again at the next start; keys are replaced, not added."""
    if await repo.fact(KEY_SCHEME) is not None:
        return 0
    count = 0
    pending: list[Document] = []

    async def write() -> None:
        async with command():
            for document in pending:
                await index_customer(repo, document["_id"], document.get("full_name", ""),
                                     document.get("email"))

    async for document in repo.customer_names():
        pending.append(document)
        if len(pending) >= batch:
            await write()
            count += len(pending)
            pending = []
    await write()
    count += len(pending)
    async with command():
        await repo.record_fact(KEY_SCHEME, {"customers": count})
    return count


@dataclass(frozen=True)
class Found:
    customer_id: str
    matched: str  # id, phone, card_number, email or name
    rank: tuple[int, ...]


async def search(repo: RegistryRepository, query: str, regions: Sequence[str] | str,
                 offset: int, limit: int) -> dict[str, Any]:
    """``POST /api/customers/search`` (and ``GET /api/customers?q=``): exact keys first
    (id, phone, card, email), then names. A number without a country code is read in the
    call center's ``regions`` only; each registered reading is a result of its own."""
    text = query.strip()
    if not text:
        raise Unprocessable("q: type part of a name, an email, a phone or card number, or "
                            "a customer id", field="q")
    if len(text) > MAX_QUERY_LENGTH:
        raise Unprocessable(f"q: at most {MAX_QUERY_LENGTH} characters", field="q")
    found: dict[str, Found] = {}

    def add(customer_id: str, matched: str, rank: tuple[int, ...]) -> None:
        if customer_id not in found:
            found[customer_id] = Found(customer_id, matched, rank)

    if _CUSTOMER_ID.match(text) and await repo.customer(text) is not None:
        add(text, "id", (0,))
    narrowed = False
    if looks_like_number(text):
        for customer_id in await _by_number(repo, text, regions):
            add(customer_id[0], customer_id[1], (1,))
    else:
        key = email_key(text)
        if key is not None:
            for row in await repo.search_candidates([key], CANDIDATE_CAP):
                add(row["_id"], "email", (2, 0, 0))
        names = name_query(text)
        if names is not None:
            rows = await repo.search_candidates(list(names.first), CANDIDATE_CAP)
            narrowed = len(rows) >= CANDIDATE_CAP
            matches = []
            for row in rows:
                keys = set(row["keys"])
                if names.matches(keys):
                    matches.append((-names.exact(keys), row["name"].casefold(), row["_id"]))
            for exact, _name, customer_id in sorted(matches):
                add(customer_id, "name", (3, exact))
    ordered = sorted(found.values(), key=lambda item: item.rank)  # stable: name order kept
    page = ordered[offset:offset + limit]
    documents = await repo.customers_by_id([item.customer_id for item in page])
    items = [_item(documents[item.customer_id], item.matched)
             for item in page if item.customer_id in documents]
    # The query is not echoed: it is often a phone number or an e-mail, and the asker has it.
    return {"total": len(ordered), "offset": offset, "limit": limit,
            "more": offset + limit < len(ordered), "narrow_it_down": narrowed,
            "items": items}


async def _by_number(repo: RegistryRepository, text: str, regions: Sequence[str] | str
                     ) -> list[tuple[str, str]]:
    hits: list[tuple[str, str]] = []
    compact = re.sub(r"[\s().\-]", "", text)
    owner = await repo.loyalty_card_owner(compact)
    if owner is not None:
        hits.append((owner, "card_number"))
    try:
        for e164 in phone_lookup_readings(text, regions):
            customer_id = await repo.customer_by_phone(e164)
            if customer_id is not None:
                hits.append((customer_id, "phone"))
    except InvalidPhone:
        pass  # digits that are no phone number: a card number, or nothing
    return hits


def _item(document: Document, matched: str) -> dict[str, Any]:
    return {"customer_id": document["_id"], "full_name": document.get("full_name"),
            "phone": document.get("phone"), "email": document.get("email"),
            "category": document.get("category"), "person_type": document.get("person_type"),
            "card_number": document.get("card_number"), "matched": matched}


# history ---------------------------------------------------------------------------------
async def remember_activity(repo: RegistryRepository, event: Event) -> None:
    """Keep a purchase or interaction for the customer's full history."""
    if isinstance(event, PurchaseRecorded):
        entry = event.model_dump(mode="json", include={
            "purchase_id", "amount", "currency", "discounted", "payment_method",
            "employee_id", "refund_of"})
        await repo.record_activity(f"purchase:{event.purchase_id}", event.customer_id,
                                   event.occurred_at, {"kind": "purchase", **entry})
    elif isinstance(event, InteractionLogged):
        entry = event.model_dump(mode="json", include={
            "interaction_id", "channel", "outcome", "duration_s", "questions", "operator_id"})
        await repo.record_activity(f"interaction:{event.interaction_id}", event.customer_id,
                                   event.occurred_at, {"kind": "interaction", **entry})


async def activity(repo: RegistryRepository, customer_id: str, kind: str | None,
                   offset: int, limit: int) -> dict[str, Any]:
    rows = await repo.activity_of(customer_id, kind)
    page = [_entry(row) for row in rows[offset:offset + limit]]
    return {"customer_id": customer_id, "total": len(rows), "offset": offset,
            "limit": limit, "more": offset + limit < len(rows), "items": page}


def _entry(row: Document) -> dict[str, Any]:
    entry = {key: value for key, value in row.items() if key not in ("_id", "customer_id")}
    when = entry.get("occurred_at")
    if isinstance(when, datetime):
        entry["occurred_at"] = when.isoformat()
    return entry
