"""The people the suite knows, by ``operator_id``: whether their sessions still count, and
what they are called.

Registry's ``operators`` collection is the directory itself; scoring, loyalty and notify
keep a mirror of it under the same name, fed by ``crm.operator.updated.v1`` (``mirror``).
Reads are cached for ``ttl_s`` per person, so a disabled person's token stops working within
that time on every replica (at once on the registry process that disabled them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contracts import Event, OperatorUpdated
from shared.database import Database, Document

COLLECTION = "operators"
# The longest name a survey SMS carries in one segment (see notify's templates).
SHORT_NAME_MAX = 18


@dataclass(frozen=True)
class Person:
    operator_id: str
    display_name: str
    active: bool
    session_version: int
    display_names: dict[str, str] = field(default_factory=dict)

    def name_in(self, language: str | None) -> str:
        """The name as written for ``language`` where one was given, else the display name."""
        return self.display_names.get(language or "", "") or self.display_name

    def short_name_in(self, language: str | None) -> str:
        """A name that fits an SMS: the whole name if short, else its first word."""
        name = self.name_in(language)
        if len(name) <= SHORT_NAME_MAX:
            return name
        return name.split()[0][:SHORT_NAME_MAX]


def person_from(document: Document) -> Person:
    return Person(
        operator_id=str(document["_id"]), display_name=str(document.get("display_name", "")),
        active=bool(document.get("active", True)),
        session_version=int(document.get("session_version", 0)),
        display_names=dict(document.get("display_names") or {}),
    )


class PeopleDirectory:
    """Cached reads of the ``operators`` collection, and the mirror's event handler."""

    def __init__(self, db: Database, ttl_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.collection = db.collection(COLLECTION)
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, Person | None]] = {}

    async def person(self, operator_id: str) -> Person | None:
        now = self._clock()
        cached = self._cache.get(operator_id)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        document = await self.collection.find_one({"_id": str(operator_id)})
        person = None if document is None else person_from(document)
        if len(self._cache) > 10_000:  # bounded: made-up ids must not grow it forever
            self._cache.clear()
        self._cache[operator_id] = (now, person)
        return person

    def forget(self, operator_id: str) -> None:
        """Drop a cached read (after this process changed the person)."""
        self._cache.pop(operator_id, None)

    async def names(self, operator_ids: Iterable[str],
                    language: str | None = None) -> dict[str, str]:
        """Display names of the given people that the directory knows."""
        found: dict[str, str] = {}
        for operator_id in set(operator_ids):
            person = await self.person(operator_id)
            if person is not None:
                found[operator_id] = person.name_in(language)
        return found

    async def mirror(self, event: OperatorUpdated) -> Sequence[Event]:
        """Keep the mirror of one person (consumers of ``crm.operator.updated.v1``).

        A replayed older event (from a dead-letter topic, say) never undoes a newer one.
        """
        stored = await self.collection.find_one({"_id": event.operator_id})
        if stored is not None and stored.get("updated_at") and \
                stored["updated_at"] > event.occurred_at:
            return []
        document: dict[str, Any] = {
            "_id": event.operator_id, "display_name": event.display_name,
            "display_names": dict(event.display_names), "active": event.active,
            "role": event.role, "session_version": event.session_version,
            "updated_at": event.occurred_at,
        }
        await self.collection.replace_one({"_id": event.operator_id}, document, upsert=True)
        self.forget(event.operator_id)
        return []

