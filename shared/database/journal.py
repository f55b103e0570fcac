"""The stand-in's durability: a journal of after-images, compacted into a snapshot.

Each committed transaction is one JSON line listing the documents it wrote (``put``) or
removed (``del``). Replaying puts and deletes is idempotent, so a crash between writing a
new snapshot and truncating the journal is harmless, and a torn last line (the process was
killed mid-write) is simply a transaction that never committed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bson import json_util

log = logging.getLogger(__name__)

Entry = dict[str, Any]  # {"c": collection, "put": document} or {"c": collection, "del": _id}
_JSON = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL, tz_aware=False)
# tz_aware=False: mongomock keeps naive UTC datetimes internally; the journal must match.


def _dumps(entries: list[Entry]) -> str:
    return json_util.dumps(entries, json_options=_JSON, separators=(",", ":"))


def _read(path: Path) -> Iterator[list[Entry]]:
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith("\n"):
                log.warning("journal %s: ignoring a torn last transaction (line %d)", path, number)
                return
            try:
                yield json_util.loads(line, json_options=_JSON)
            except ValueError:
                log.warning("journal %s: ignoring an unreadable line %d", path, number)


class Journal:
    """Append-only transaction log plus snapshot, in one directory."""

    def __init__(self, directory: Path, fsync: bool = True) -> None:
        self.directory = directory
        self.fsync = fsync
        directory.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = directory / "snapshot.jsonl"
        self.journal_path = directory / "journal.jsonl"
        self._handle: Any = None
        self._dirty = False
        self.lines = 0

    def replay(self) -> Iterator[Entry]:
        """Every entry of the snapshot, then of the journal, in commit order."""
        for path in (self.snapshot_path, self.journal_path):
            for transaction in _read(path):
                if path is self.journal_path:
                    self.lines += 1
                yield from transaction

    def open(self) -> None:
        self._handle = self.journal_path.open("a", encoding="utf-8")

    def append(self, serialized_entries: list[str]) -> None:
        """Append one committed transaction, its entries already serialised."""
        if serialized_entries:
            self._handle.write("[" + ",".join(serialized_entries) + "]\n")
            self._dirty = True
            self.lines += 1

    def sync(self) -> None:
        if self._dirty and self._handle is not None:
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())
            self._dirty = False

    def compact(self, documents: Iterator[Entry]) -> None:
        """Write every live document as the new snapshot and start an empty journal."""
        self.sync()
        tmp = self.snapshot_path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            batch: list[Entry] = []
            for entry in documents:
                batch.append(entry)
                if len(batch) == 1000:
                    handle.write(_dumps(batch) + "\n")
                    batch = []
            handle.write(_dumps(batch) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.snapshot_path)
        if self._handle is not None:
            self._handle.close()
        self.journal_path.write_text("")
        self.lines = 0
        self.open()

    def close(self) -> None:
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None
