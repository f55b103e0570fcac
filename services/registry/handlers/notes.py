"""Notes on a customer: written by a person (or a machine client), shown on the card."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.registry.domain import new_id
from services.registry.domain.errors import CustomerNotFound
from services.registry.domain.notes import apply_note
from services.registry.repository import RegistryRepository
from shared.auth import Principal
from shared.clock import utc_now
from shared.database import Document

if TYPE_CHECKING:  # the command is the HTTP body; api imports these use cases at run time
    from services.registry.api.schemas import NoteRequest


def note_view(document: Document) -> dict[str, Any]:
    at = document["at"]
    return {"note_id": document["_id"], "customer_id": document["customer_id"],
            "text": document["text"], "by": document["by"], "by_name": document["by_name"],
            "at": at.isoformat() if isinstance(at, datetime) else at}


async def add_note(repo: RegistryRepository, customer_id: str, request: NoteRequest,
                   by: Principal) -> dict[str, Any]:
    if await repo.customer(customer_id) is None:
        raise CustomerNotFound()
    document = {"_id": new_id("n"), "customer_id": customer_id, "text": request.text,
                "by": by.actor, "by_name": by.actor_name, "at": utc_now()}
    await repo.add_note(document)
    view = note_view(document)
    card = await repo.card(customer_id)
    await repo.save_card(apply_note(card, {k: v for k, v in view.items()
                                           if k != "customer_id"}))
    return view


async def notes(repo: RegistryRepository, customer_id: str, offset: int,
                limit: int) -> dict[str, Any]:
    if await repo.customer(customer_id) is None:
        raise CustomerNotFound()
    rows = await repo.notes_of(customer_id)
    return {"customer_id": customer_id, "total": len(rows), "offset": offset, "limit": limit,
            "more": offset + limit < len(rows),
            "items": [note_view(row) for row in rows[offset:offset + limit]]}
