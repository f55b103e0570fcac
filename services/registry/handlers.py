"""Registry's use cases: take a request or an event and the repository, return events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.registry.repository import RegistryRepository
from shared.contracts import CustomerRegistered, CustomerScored, Event
from shared.errors import Rejected


class PhoneTaken(Exception):
    def __init__(self, customer_id: str) -> None:
        super().__init__("this phone number is already registered")
        self.customer_id = customer_id


def new_customer_id() -> str:
    return f"c-{uuid.uuid4().hex[:16]}"


async def register(repo: RegistryRepository, fields: dict[str, Any]) -> CustomerRegistered:
    """Store a new customer, its phone key and its caller card; return the event."""
    existing = await repo.customer_by_phone(fields["phone"])
    if existing is not None:
        raise PhoneTaken(existing)
    customer_id = new_customer_id()
    event = CustomerRegistered(customer_id=customer_id, **fields)
    now = datetime.now(UTC)
    document = event.model_dump(mode="json", exclude={"event_id", "occurred_at"})
    await repo.customers.insert_one({"_id": customer_id, **document, "registered_at": now})
    await repo.phones.insert_one({"_id": event.phone, "customer_id": customer_id})
    await repo.save_card({
        "_id": customer_id, "customer_id": customer_id, "full_name": event.full_name,
        "phone": event.phone, "category": event.category, "person_type": event.person_type,
        "segment": None, "risk": None, "loyalty": None, "lapsed": False,
        "last_purchases": [], "last_interactions": [], "last_survey": None,
    })
    return event


async def on_registered(repo: RegistryRepository, event: CustomerRegistered) -> Sequence[Event]:
    """Take in a registration made elsewhere (self-service, another system).

    Our own registrations come back here too and are already stored: nothing to do.
    """
    if await repo.customer(event.customer_id) is not None:
        return []
    owner = await repo.customer_by_phone(event.phone)
    if owner is not None:
        raise Rejected(f"phone already registered to customer {owner}")
    document = event.model_dump(mode="json", exclude={"event_id", "occurred_at"})
    await repo.customers.insert_one({"_id": event.customer_id, **document,
                                     "registered_at": event.occurred_at})
    await repo.phones.insert_one({"_id": event.phone, "customer_id": event.customer_id})
    card = await repo.card(event.customer_id) or {
        "_id": event.customer_id, "customer_id": event.customer_id, "risk": None}
    card.update(full_name=event.full_name, phone=event.phone, category=event.category,
                person_type=event.person_type)
    await repo.save_card(card)
    return []


async def on_scored(repo: RegistryRepository, event: CustomerScored) -> Sequence[Event]:
    """Put the latest risk on the caller card (an older score never replaces a newer one)."""
    card = await repo.card(event.customer_id)
    if card is None:
        card = {"_id": event.customer_id, "customer_id": event.customer_id}
    risk = card.get("risk")
    if risk and risk.get("occurred_at") and risk["occurred_at"] > event.occurred_at.isoformat():
        return []
    card["risk"] = {
        "score": event.score, "band": event.band, "payment_policy": event.payment_policy,
        "reasons": [reason.model_dump(mode="json") for reason in event.reasons],
        "model_version": event.model_version, "occurred_at": event.occurred_at.isoformat(),
    }
    await repo.save_card(card)
    return []
