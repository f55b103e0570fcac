"""Erasing a customer from notify, and what notify keeps about one (subject access).

The number, the consent record, every message (queued or sent, with its text), open
surveys and answers go; the running aggregates (sent, answered, ratings per employee,
reasons) keep counting them without naming anyone. A message already queued for the
customer is dropped by the sender: its notification no longer exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.notify.repository import NotifyRepository
from shared.contracts import CustomerErased, Event
from shared.database import Document
from shared.privacy import Erased, Erasures


async def on_erased(repo: NotifyRepository, erasures: Erasures,
                    event: CustomerErased) -> Sequence[Event]:
    done = Erased()
    for collection, count in (await repo.erase_customer(event.customer_id)).items():
        done.remove(collection, count)
    await erasures.record(event.customer_id, event.requested_by, done, event.occurred_at)
    return []


async def holdings(repo: NotifyRepository, customer_id: str) -> Mapping[str, list[Document]]:
    return await repo.held_about(customer_id)
