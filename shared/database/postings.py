"""Secondary indexes for the stand-in: a field's values mapped to the ``_id``s having them.

mongomock answers every filter by decoding and testing every document of the collection (at
100,000 customers a search by name key took 0.1-0.6 s). A ``create_index`` on one field (or
a compound whose first field it is; TTL indexes aside) builds postings for that field, kept
current on every write and rollback. A filter with an equality, an ``$in`` or a
``{"$ne": None}`` (the documents having the field) on an indexed field is then answered from
the postings' candidates, each still tested against the whole filter, so an index can only
narrow what a scan would find, never change it (nor the order MongoDB does not promise
anyway). Arrays are indexed by element (multikey), as MongoDB does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId

_MISSING = object()
# Values whose equality in Python is what it is in MongoDB for index candidates (a superset
# is fine: each candidate is tested again); None is left out, it also matches missing fields.
_SCALARS = (str, int, float, ObjectId, datetime)


def index_field(keys: Any, options: Mapping[str, Any]) -> str | None:
    """The field an index can answer equality on, or None (TTL, or an unusual spec)."""
    if options.get("expireAfterSeconds") is not None:
        return None
    if isinstance(keys, str):
        field = keys
    elif isinstance(keys, list | tuple) and keys and isinstance(keys[0], list | tuple):
        field = keys[0][0]
    else:
        return None
    return field if isinstance(field, str) and "." not in field and field != "_id" else None


def _values(document: Mapping[str, Any], field: str) -> list[Any] | None:
    """The index entries of a document for ``field``; None when one cannot be indexed."""
    value = document.get(field, _MISSING)
    if value is _MISSING or value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if all(isinstance(item, _SCALARS) and not isinstance(item, bool) for item in values):
        return list(dict.fromkeys(values))
    return None


class Postings:
    """One collection's secondary indexes.

    A value held by one document maps to its ``_id`` itself, by several to a set of them:
    most search keys belong to one customer, and a set per key cost about 200 bytes each
    (a million keys at 100,000 customers)."""

    def __init__(self) -> None:
        self._by_value: dict[str, dict[Any, Any]] = {}
        self._of: dict[str, dict[Any, list[Any]]] = {}
        self._broken: set[str] = set()  # a value that cannot be indexed was stored
        self._arrays: set[str] = set()  # an array was stored (multikey)

    @property
    def fields(self) -> set[str]:
        return set(self._by_value) - self._broken

    def add_field(self, field: str, documents: Iterable[tuple[Any, Mapping[str, Any]]]) -> None:
        if field in self._by_value:
            return
        self._by_value[field], self._of[field] = {}, {}
        for key, document in documents:
            self._put(field, key, document)

    def update(self, key: Any, document: Mapping[str, Any] | None) -> None:
        """The document stored under ``key`` now (None: removed)."""
        for field in self._by_value:
            self._remove(field, key)
            if document is not None:
                self._put(field, key, document)

    def candidates(self, filter: Mapping[str, Any]) -> list[Any] | None:
        """The ``_id``s that may match ``filter``, or None when no index narrows it."""
        for field in self.fields:
            if field not in filter:
                continue
            condition = filter[field]
            if isinstance(condition, Mapping) and dict(condition) == {"$ne": None}:
                # the documents that have the field, not null: those with index entries (an
                # array field's empty array has none and does match: not narrowed then)
                if field in self._arrays:
                    continue
                return list(self._of[field])
            if isinstance(condition, Mapping):
                if set(condition) != {"$in"} or not isinstance(condition["$in"], list | tuple):
                    continue
                wanted = list(condition["$in"])
            else:
                wanted = [condition]
            if not all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in wanted):
                continue
            postings = self._by_value[field]
            found: dict[Any, None] = {}
            for value in wanted:
                ids = postings.get(value, _MISSING)
                if type(ids) is set:
                    found.update(dict.fromkeys(ids))
                elif ids is not _MISSING:
                    found[ids] = None
            return list(found)
        return None

    def _put(self, field: str, key: Any, document: Mapping[str, Any]) -> None:
        values = _values(document, field)
        if values is None:
            self._broken.add(field)
            return
        if isinstance(document.get(field), list):
            self._arrays.add(field)
        if not values:
            return  # nothing to find it by (a field most documents lack costs nothing)
        self._of[field][key] = values
        postings = self._by_value[field]
        for value in values:
            ids = postings.get(value, _MISSING)
            if ids is _MISSING:
                postings[value] = key
            elif type(ids) is set:
                ids.add(key)
            elif ids != key:
                postings[value] = {ids, key}

    def _remove(self, field: str, key: Any) -> None:
        postings = self._by_value[field]
        for value in self._of[field].pop(key, ()):
            ids = postings.get(value, _MISSING)
            if type(ids) is set:
                ids.discard(key)
                if len(ids) == 1:
                    postings[value] = next(iter(ids))
            elif ids == key:
                del postings[value]
