"""The history of changes people and clients made: who changed what, and when.

One document per subject (``customer:<id>``, ``operator:<id>``, ``jobs``), its entries
appended newest last and capped at ``keep``: reading a subject's history is one read by
``_id``, never a scan. Entries name fields; for personal fields (names, email, card number)
they record that the field changed, not its values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from shared.auth import Principal
from shared.database import Database

COLLECTION = "history"
#: Fields whose values are personal data: the history says that they changed, not to what.
PERSONAL = frozenset({"full_name", "email", "card_number", "phone", "password",
                      "display_name", "display_names", "card_holder_name", "ip"})


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any],
            fields: Iterable[str]) -> list[dict[str, Any]]:
    """One ``{field, from, to}`` per changed field (values left out for personal fields)."""
    listed: list[dict[str, Any]] = []
    for name in sorted(fields):
        if name in PERSONAL:
            listed.append({"field": name})
        else:
            listed.append({"field": name, "from": before.get(name), "to": after.get(name)})
    return listed


class AuditTrail:
    def __init__(self, db: Database, keep: int = 500) -> None:
        self.collection = db.collection(COLLECTION)
        self.keep = keep

    async def record(self, subject: str, action: str, by: Principal, at: datetime,
                     changed: list[dict[str, Any]] | None = None,
                     **details: Any) -> None:
        """Append one entry to ``subject``'s history (inside the caller's transaction)."""
        entry = {"at": at, "action": action, "by": by.actor, "by_name": by.actor_name,
                 "changes": changed or [], **details}
        await self.collection.update_one(
            {"_id": subject},
            {"$push": {"entries": {"$each": [entry], "$slice": -self.keep}}},
            upsert=True,
        )

    async def entries(self, subject: str, limit: int = 100) -> list[dict[str, Any]]:
        """The subject's history, newest first, as the API shows it."""
        document = await self.collection.find_one({"_id": subject})
        rows = list(reversed((document or {}).get("entries", [])))[:limit]
        return [{**row, "at": row["at"].isoformat()} for row in rows]
