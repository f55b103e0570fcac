"""An O(1) path through mongomock for filters on an exact ``_id`` (or a list of them).

mongomock answers every query by copying and scanning the whole collection (about 10 ms per
``find_one`` at 8,000 documents). A filter that is exactly ``{"_id": <scalar>}`` can be
answered from the collection store's ``_id`` map instead. Only ``_iter_documents`` is
replaced, so projections, update operators and upserts stay mongomock's own code; the
tests compare this path with the scan for the same operations.

This path, and ``compact.py``, lean on mongomock's private parts: ``Collection.
_iter_documents(self, filter)`` and a collection store's ``_documents`` map and ``indexes``.
pyproject.toml pins mongomock to the version they were written against
(``TESTED_MONGOMOCK``), and ``install()`` refuses to start on another one, or on one whose
private parts moved, rather than answer wrongly or silently slowly.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from datetime import UTC
from importlib.metadata import version
from typing import Any

import bson
import mongomock
from bson import ObjectId
from bson.codec_options import CodecOptions
from mongomock.collection import Collection as _MockCollection
from mongomock.filtering import filter_applies
from mongomock.helpers import patch_datetime_awareness_in_document

#: The mongomock release the fast path and the compact store were written and tested against
#: (pinned in pyproject.toml); an upgrade is a change to review here, not a silent one.
TESTED_MONGOMOCK = "4.3.0"

_scan = _MockCollection._iter_documents
_installed = False


class MongomockMoved(RuntimeError):
    """The installed mongomock is not the one the stand-in's private hooks were tested on."""


def private_api_problems() -> list[str]:
    """What no longer matches the mongomock internals this module and ``compact.py`` use."""
    problems: list[str] = []
    installed = version("mongomock")
    if installed != TESTED_MONGOMOCK:
        problems.append(f"mongomock {installed} is installed, the stand-in was tested on "
                        f"{TESTED_MONGOMOCK} (see shared/database/fastpath.py)")
    scan = getattr(_MockCollection, "_iter_documents", None)
    if scan is None:
        problems.append("mongomock.collection.Collection._iter_documents is gone")
    elif list(inspect.signature(scan).parameters) != ["self", "filter"]:
        problems.append("Collection._iter_documents no longer takes (self, filter): "
                        f"{inspect.signature(scan)}")
    store: Any = mongomock.MongoClient()["fastpath-check"]["probe"]._store
    for name in ("_documents", "indexes"):
        if not hasattr(store, name):
            problems.append(f"a mongomock collection store has no {name!r}")
    return problems


def exact_id(filter: Any) -> Any | None:
    """The ``_id`` value when the filter is an exact match on one hashable id, else None."""
    if not isinstance(filter, Mapping) or len(filter) != 1 or "_id" not in filter:
        return None
    value = filter["_id"]
    # bool is an int in Python but not in MongoDB; floats compare across types differently.
    if isinstance(value, str | ObjectId) or (type(value) is int):
        return value
    return None


def exact_ids(filter: Any) -> list[Any] | None:
    """The ids when the filter is exactly ``{"_id": {"$in": [ids]}}`` of hashable ids (the
    shape of a batch's look-up), else None."""
    if not isinstance(filter, Mapping) or len(filter) != 1 or "_id" not in filter:
        return None
    condition = filter["_id"]
    if not isinstance(condition, Mapping) or len(condition) != 1 or "$in" not in condition:
        return None
    values = condition["$in"]
    if not isinstance(values, list | tuple):
        return None
    ids = []
    for value in values:
        if exact_id({"_id": value}) is None:
            return None
        ids.append(value)
    return list(dict.fromkeys(ids))


_OUT: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True, tzinfo=UTC)


def simple_projection(projection: Any) -> bool:
    """None, or an inclusion of top-level fields (``_id`` may be excluded)."""
    if projection is None:
        return True
    if not isinstance(projection, Mapping) or not projection:
        return False
    for field, value in projection.items():
        if not isinstance(field, str) or "." in field or field.startswith("$"):
            return False
        if field == "_id":
            if value not in (0, 1, True, False):
                return False
        elif value not in (1, True):
            return False
    return True


def copy_out(document: Mapping[str, Any], projection: Any) -> dict[str, Any]:
    """What a find returns: a copy (datetimes in UTC), limited to the projection."""
    return bson.decode(bson.encode(projected(dict(document), projection)), _OUT)


def read_out(documents: Any, key: Any, projection: Any) -> dict[str, Any] | None:
    """``copy_out`` of one stored document by ``_id``, decoded from its BSON when the
    store keeps it compact (``shared.database.compact``), or None."""
    read = getattr(documents, "read", None)
    if read is None:
        document = documents.get(key)
        return None if document is None else copy_out(document, projection)
    found = read(key, _OUT)
    return None if found is None else projected(found, projection)


def projected(document: dict[str, Any], projection: Any) -> dict[str, Any]:
    """The fields a simple projection keeps (``_id`` unless excluded); no copy made."""
    if projection is None:
        return document
    keep = {field for field, value in projection.items() if field != "_id"}
    kept = {field: document[field] for field in keep if field in document}
    if projection.get("_id", 1) and "_id" in document:
        kept = {"_id": document["_id"], **kept}
    return kept


def scan(collection: _MockCollection, filter: Mapping[str, Any], projection: Any,
         limit: int = 0) -> Iterator[dict[str, Any]]:
    """An unsorted find: mongomock's own matcher, without its per-document deep copies,
    decoding one document at a time (a compact store is never decoded whole)."""
    store = collection._store._documents
    return _matching(store, list(store), filter, projection, limit)


def by_candidates(collection: _MockCollection, ids: list[Any], filter: Mapping[str, Any],
                  projection: Any, limit: int = 0) -> Iterator[dict[str, Any]]:
    """A find narrowed by a secondary index (``postings``): each candidate is tested against
    the whole filter with mongomock's own matcher, as a scan would test it."""
    return _matching(collection._store._documents, ids, filter, projection, limit)


def _matching(store: Any, keys: list[Any], filter: Mapping[str, Any], projection: Any,
              limit: int) -> Iterator[dict[str, Any]]:
    filter = patch_datetime_awareness_in_document(filter)  # as mongomock's own find does
    returned = 0
    for key in keys:
        if filter:
            document = store.get(key)
            if document is None or not filter_applies(filter, document):
                continue
        found = read_out(store, key, projection)
        if found is None:
            continue
        yield found
        returned += 1
        if limit and returned >= limit:
            return


def by_ids(collection: _MockCollection, ids: list[Any], projection: Any,
           limit: int = 0) -> Iterator[dict[str, Any]]:
    """A find of ``{"_id": {"$in": ids}}`` from the ``_id`` map, in the store's order as a
    server's natural order would be (callers must not rely on any order)."""
    store = collection._store._documents
    returned = 0
    for key in ids:
        document = read_out(store, key, projection)
        if document is None:
            continue
        yield document
        returned += 1
        if limit and returned >= limit:
            return


def _iter_documents(self: _MockCollection, filter: Any) -> Iterator[dict[str, Any]]:
    if self._store.indexes:  # TTL and other indexes: keep mongomock's path
        return _scan(self, filter)
    key = exact_id(filter)
    if key is not None:
        document = self._store._documents.get(key)
        return iter(() if document is None else (document,))
    ids = exact_ids(filter)
    if ids is not None:
        store = self._store._documents
        return iter([store[key] for key in ids if key in store])
    return _scan(self, filter)


def enabled() -> bool:
    return _installed


def install() -> None:
    """Route exact-``_id`` filters through the store's map (idempotent).

    Raises ``MongomockMoved`` when mongomock is not the tested release or its private parts
    moved: the stand-in then fails at start-up, loudly, instead of misreading documents.
    """
    global _installed
    if not _installed:
        problems = private_api_problems()
        if problems:
            raise MongomockMoved("; ".join(problems))
        _MockCollection._iter_documents = _iter_documents  # type: ignore[method-assign]
        _installed = True


def uninstall() -> None:
    """Back to mongomock's scan (used by the tests that compare both paths)."""
    global _installed
    _MockCollection._iter_documents = _scan  # type: ignore[method-assign]
    _installed = False
