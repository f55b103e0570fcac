"""The stand-in's durability: a journal of after-images, compacted into a snapshot.

Files, in the data directory:
- ``journal.bson``: each committed transaction, appended as one record;
- ``snapshot.bson``: every live document, written by a compaction (then the journal is
  emptied); replay reads the snapshot, then the journal;
- ``LOCK``: held (``flock``) by the one process using the directory, holding its pid;
- ``*.torn-<time>``: the bytes cut off after a torn or corrupt record, kept for an
  operator (after a flipped byte mid-journal they hold every later commit, each record
  still checksummed) until the next erasure scrub, as they may hold an erased customer's
  documents.

Format: a file starts with ``MAGIC``, then records. A record is one BSON document
``{"e": [{"c": collection, "put": document} | {"c": collection, "del": _id}, ...]}``
followed by the CRC32 of its bytes (4 bytes, little-endian). Files written before
checksums (no ``MAGIC``: bare BSON documents) are still read; an old journal is rewritten
with checksums when opened for appending, an old snapshot at the next compaction. An
empty journal gets its ``MAGIC`` with its first record.

Guarantees:
- what ``sync()`` returned for survives a crash (with ``fsync``); a commit is not fsync'd
  on its own, ``sync()`` fsyncs every commit since the last;
- replay stops at the first record that runs past the end of the file (torn: the process
  was killed mid-write, a transaction that never committed) or whose checksum or BSON
  fails (corrupt), logging its number and byte offset; on opening, the journal is cut
  back to the last valid record before anything is appended, so later commits never sit
  behind garbage;
- replaying puts and deletes is idempotent, and the snapshot's rename is fsync'd (with
  the directory) before the journal is emptied: a crash mid-compaction loses nothing;
- one process per directory: a second opener, in this process or another, is refused
  (``DataDirectoryInUse``) until the first closes or exits.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import bson
from bson.codec_options import CodecOptions

from shared.clock import utc_now

log = logging.getLogger(__name__)

Entry = dict[str, Any]
# mongomock keeps naive UTC datetimes internally; the journal restores them the same way.
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=False)
SNAPSHOT_BATCH = 1000
# Read as an old file's first BSON length, these bytes would be over a gigabyte: no record.
MAGIC = b"CRMLOG2\n"
CHECKSUM = 4


class DataDirectoryInUse(RuntimeError):
    """Another process (or another open database in this one) holds the data directory."""

    def __init__(self, directory: Path, holder: str) -> None:
        if holder == str(os.getpid()):
            who = "already open in this process (close the first database on it)"
        else:
            held_by = f" (pid {holder})" if holder.isdigit() else ""
            who = (f"in use by another process of this service{held_by}, e.g. another "
                   "`make run`: stop it, or give this one its own CRM_DATA_DIR")
        super().__init__(
            f"the data directory {directory} is {who}. The stand-in database serves one "
            "process; several replicas need MONGODB_URL (a shared MongoDB).")


@dataclass
class _Found:
    """What reading one file found: its format and where its valid records end."""

    size: int = 0
    end: int = 0  # the byte after the last valid record
    legacy: bool = False  # written before checksums
    done: bool = False  # read to the end of its valid records

    @property
    def damaged(self) -> bool:
        return self.done and self.end < self.size


def _read(path: Path, found: _Found) -> Iterator[list[Entry]]:
    """Each valid record's entries; ``found`` says where they end once exhausted."""
    if not path.exists():
        found.done = True
        return
    with path.open("rb") as handle:
        found.size = os.fstat(handle.fileno()).st_size
        found.legacy = found.size > 0 and handle.read(len(MAGIC)) != MAGIC
        found.end = 0 if found.legacy or not found.size else len(MAGIC)
        handle.seek(found.end)
        checksum = 0 if found.legacy else CHECKSUM
        number = 0
        while found.end < found.size:
            number += 1
            header = handle.read(4)
            size = int.from_bytes(header, "little") if len(header) == 4 else 0
            if size < 5 or found.end + size + checksum > found.size:
                _damage(path, found, number, "runs past the end of the file (torn)")
                return
            record = header + handle.read(size - 4)
            if checksum and zlib.crc32(record) != int.from_bytes(handle.read(4), "little"):
                _damage(path, found, number, "fails its checksum")
                return
            try:
                entries = bson.decode(record, CODEC)["e"]
            except (bson.errors.InvalidBSON, KeyError):
                _damage(path, found, number, "is not a readable transaction")
                return
            found.end += size + checksum
            yield entries
        found.done = True


def _damage(path: Path, found: _Found, number: int, what: str) -> None:
    found.done = True
    log.warning("%s: record #%d at byte %d %s; replay stops there (%d bytes after it unread)",
                path, number, found.end, what, found.size - found.end)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _checksummed(record: bytes) -> bytes:
    return zlib.crc32(record).to_bytes(CHECKSUM, "little")


def _write_record(handle: IO[bytes], entries: list[Entry]) -> None:
    record = bson.encode({"e": entries})
    handle.write(record + _checksummed(record))  # one write: cheaper than two


class Journal:
    """Append-only transaction log plus snapshot, in one directory it locks."""

    def __init__(self, directory: Path, fsync: bool = True) -> None:
        self.directory = directory
        self.fsync = fsync
        directory.mkdir(parents=True, exist_ok=True)
        self.snapshot_path = directory / "snapshot.bson"
        self.journal_path = directory / "journal.bson"
        self._lock: IO[bytes] | None = self._take_lock()
        self._handle: IO[bytes] | None = None
        self._dirty = False
        self._needs_magic = False
        self._snapshot = _Found()
        self._journal = _Found()
        self.records = 0

    def _take_lock(self) -> IO[bytes]:
        # flock belongs to the open file: a second open() conflicts even in this process,
        # and the lock goes with the process however it ends.
        lock = (self.directory / "LOCK").open("a+b")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read(20).decode(errors="replace").strip()
            lock.close()
            raise DataDirectoryInUse(self.directory, holder) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n".encode())
        lock.flush()
        return lock

    def replay(self) -> Iterator[Entry]:
        """Every entry of the snapshot, then of the journal, in commit order."""
        for transaction in _read(self.snapshot_path, self._snapshot):
            yield from transaction
        for transaction in _read(self.journal_path, self._journal):
            self.records += 1
            yield from transaction

    def open(self) -> None:
        """Open the journal for appending, first cutting it back to its last valid record
        (what follows is kept aside) and rewriting it with checksums if it has none."""
        if not self._journal.done:  # not replayed: find where its valid records end
            for _ in _read(self.journal_path, self._journal):
                pass
        if self._journal.damaged:
            self._set_aside(self.journal_path, self._journal)
            with self.journal_path.open("r+b") as journal:
                journal.truncate(self._journal.end)
                if self.fsync:
                    os.fsync(journal.fileno())
        if self._journal.legacy and self._journal.end:
            self._rewrite_with_checksums()
        self._journal = _Found(done=True)
        self._open_for_appending()

    def _open_for_appending(self) -> None:
        created = not self.journal_path.exists()
        self._handle = self.journal_path.open("ab")
        self._needs_magic = self._handle.tell() == 0
        if created and self.fsync:
            _fsync_directory(self.directory)

    def _set_aside(self, path: Path, found: _Found) -> None:
        """Copy what follows the last valid record of ``path`` to ``<name>.torn-<time>``."""
        if not found.damaged:
            return
        aside = path.with_name(f"{path.name}.torn-{utc_now():%Y%m%dT%H%M%S%fZ}")
        with path.open("rb") as damaged, aside.open("wb") as kept:
            damaged.seek(found.end)
            kept.write(damaged.read())
            if self.fsync:
                os.fsync(kept.fileno())
        if self.fsync:
            _fsync_directory(self.directory)
        log.warning("%s: discarded %d bytes after its last valid record (byte %d), kept in %s",
                    path, found.size - found.end, found.end, aside.name)
        found.size = found.end

    def _rewrite_with_checksums(self) -> None:
        old = self.journal_path.read_bytes()[: self._journal.end]
        tmp = self.journal_path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(MAGIC)
            offset = records = 0
            while offset < len(old):  # the records were read and checked already
                record = old[offset: offset + int.from_bytes(old[offset:offset + 4], "little")]
                handle.write(record)
                handle.write(_checksummed(record))
                offset += len(record)
                records += 1
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, self.journal_path)
        if self.fsync:
            _fsync_directory(self.directory)
        log.info("%s: rewritten with checksums (%d records)", self.journal_path, records)

    def append(self, entries: list[Entry]) -> None:
        """Append one committed transaction (durable at the next ``sync()``)."""
        if entries and self._handle is not None:
            if self._needs_magic:
                self._handle.write(MAGIC)
                self._needs_magic = False
            _write_record(self._handle, entries)
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
        self._set_aside(self.snapshot_path, self._snapshot)  # before it is replaced
        self._set_aside(self.journal_path, self._journal)  # if not opened since replay
        tmp = self.snapshot_path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            handle.write(MAGIC)
            batch: list[Entry] = []
            for entry in documents:
                batch.append(entry)
                if len(batch) == SNAPSHOT_BATCH:
                    _write_record(handle, batch)
                    batch = []
            if batch:
                _write_record(handle, batch)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.snapshot_path)
        self._snapshot = _Found(done=True)
        if self.fsync:  # the rename must be on disk before the journal is emptied
            _fsync_directory(self.directory)
        if self._handle is not None:
            self._handle.close()
        with self.journal_path.open("wb") as emptied:
            if self.fsync:
                os.fsync(emptied.fileno())
        if self.fsync:
            _fsync_directory(self.directory)
        self.records = 0
        self._journal = _Found(done=True)
        self._open_for_appending()

    def scrub(self, documents: Iterable[Entry]) -> None:
        """Compact, and delete the kept-aside tails: they may hold erased documents."""
        self.compact(documents)
        for aside in self.directory.glob("*.torn-*"):
            aside.unlink()
        if self.fsync:
            _fsync_directory(self.directory)

    def close(self) -> None:
        """Sync and close the journal, and let another process have the directory."""
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None
        if self._lock is not None:
            self._lock.close()  # closing the file releases its flock
            self._lock = None
