"""An O(1) path through mongomock for filters on an exact ``_id``.

mongomock answers every query by copying and scanning the whole collection (about 10 ms per
``find_one`` at 8,000 documents). A filter that is exactly ``{"_id": <scalar>}`` can be
answered from the collection store's ``_id`` map instead. Only ``_iter_documents`` is
replaced, so projections, update operators and upserts stay mongomock's own code; the
tests compare this path with the scan for the same operations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bson import ObjectId
from mongomock.collection import Collection as _MockCollection

_scan = _MockCollection._iter_documents
_installed = False


def exact_id(filter: Any) -> Any | None:
    """The ``_id`` value when the filter is an exact match on one hashable id, else None."""
    if not isinstance(filter, Mapping) or len(filter) != 1 or "_id" not in filter:
        return None
    value = filter["_id"]
    # bool is an int in Python but not in MongoDB; floats compare across types differently.
    if isinstance(value, str | ObjectId) or (type(value) is int):
        return value
    return None


def _iter_documents(self: _MockCollection, filter: Any) -> Iterator[dict[str, Any]]:
    key = exact_id(filter)
    if key is None or self._store.indexes:  # TTL and other indexes: keep mongomock's path
        return _scan(self, filter)
    document = self._store._documents.get(key)
    return iter(() if document is None else (document,))


def enabled() -> bool:
    return _installed


def install() -> None:
    """Route exact-``_id`` filters through the store's map (idempotent)."""
    global _installed
    if not _installed:
        _MockCollection._iter_documents = _iter_documents  # type: ignore[method-assign]
        _installed = True


def uninstall() -> None:
    """Back to mongomock's scan (used by the tests that compare both paths)."""
    global _installed
    _MockCollection._iter_documents = _scan  # type: ignore[method-assign]
    _installed = False
