"""The stand-in's durability: a journal of after-images, compacted into a snapshot.

Both files are a sequence of BSON documents. Each committed transaction is one record
``{"e": [{"c": collection, "put": document} | {"c": collection, "del": _id}, ...]}``.
Replaying puts and deletes is idempotent, so a crash between writing a new snapshot and
truncating the journal is harmless, and a torn last record (the process was killed
mid-write) is a transaction that never committed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import bson
from bson.codec_options import CodecOptions

log = logging.getLogger(__name__)

Entry = dict[str, Any]
# mongomock keeps naive UTC datetimes internally; the journal restores them the same way.
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=False)
SNAPSHOT_BATCH = 1000


def _read(path: Path) -> Iterator[list[Entry]]:
    if not path.exists():
        return
    with path.open("rb") as handle:
        number = 0
        while True:
            header = handle.read(4)
            if not header:
                return
            size = int.from_bytes(header, "little")
            body = handle.read(size - 4) if size > 4 else b""
            number += 1
            if len(header) < 4 or size <= 4 or len(body) < size - 4:
                log.warning("journal %s: ignoring a torn last transaction (#%d)", path, number)
                return
            try:
                yield bson.decode(header + body, CODEC)["e"]
            except (bson.errors.InvalidBSON, KeyError):
                log.warning("journal %s: ignoring an unreadable transaction #%d", path, number)
                return


class Journal:
    """Append-only transaction log plus snapshot, in one directory."""

    def __init__(self, directory: Path, fsync: bool = True) -> None:
        self.directory = directory
        self.fsync = fsync
        directory.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = directory / "snapshot.bson"
        self.journal_path = directory / "journal.bson"
        self._handle: IO[bytes] | None = None
        self._dirty = False
        self.records = 0

    def replay(self) -> Iterator[Entry]:
        """Every entry of the snapshot, then of the journal, in commit order."""
        for transaction in _read(self.snapshot_path):
            yield from transaction
        for transaction in _read(self.journal_path):
            self.records += 1
            yield from transaction

    def open(self) -> None:
        self._handle = self.journal_path.open("ab")

    def append(self, entries: list[Entry]) -> None:
        """Append one committed transaction."""
        if entries and self._handle is not None:
            self._handle.write(bson.encode({"e": entries}))
            self._dirty = True
            self.records += 1

    def sync(self) -> None:
        if self._dirty and self._handle is not None:
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())
            self._dirty = False

    def compact(self, documents: Iterable[Entry]) -> None:
        """Write every live document as the new snapshot and start an empty journal."""
        self.sync()
        tmp = self.snapshot_path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            batch: list[Entry] = []
            for entry in documents:
                batch.append(entry)
                if len(batch) == SNAPSHOT_BATCH:
                    handle.write(bson.encode({"e": batch}))
                    batch = []
            if batch:
                handle.write(bson.encode({"e": batch}))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.snapshot_path)
        if self._handle is not None:
            self._handle.close()
        self.journal_path.write_bytes(b"")
        self.records = 0
        self.open()

    def close(self) -> None:
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None
