"""The stand-in's journal: checksummed records, a torn tail cut back, one process per directory."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import bson
import pytest

from shared.database import journal as journal_module
from shared.database.journal import MAGIC, DataDirectoryInUse, Journal
from shared.database.memory import MemoryDatabase


def put(name: str) -> list[dict[str, object]]:
    return [{"c": "notes", "put": {"_id": name, "text": f"secret {name}"}}]


def written(directory: Path, *names: str) -> None:
    journal = Journal(directory, fsync=False)
    journal.open()
    for name in names:
        journal.append(put(name))
    journal.close()


def restored(directory: Path) -> list[str]:
    journal = Journal(directory, fsync=False)
    try:
        names = [entry["put"]["_id"] for entry in journal.replay()]
        journal.open()
        return names
    finally:
        journal.close()


def torn(path: Path) -> None:
    """As if the process was killed while writing the last record."""
    os.truncate(path, path.stat().st_size - 7)


def kept_aside(directory: Path) -> list[Path]:
    return list(directory.glob("*.torn-*"))


def test_commits_after_a_torn_tail_survive_the_next_restart(tmp_path: Path) -> None:
    written(tmp_path, "one", "two", "three")
    torn(tmp_path / "journal.bson")  # killed while writing "three"

    assert restored(tmp_path) == ["one", "two"]
    written(tmp_path, "four", "five")

    assert restored(tmp_path) == ["one", "two", "four", "five"]


def test_a_torn_tail_is_kept_aside_for_an_operator(tmp_path: Path, caplog) -> None:
    written(tmp_path, "one", "two")
    path = tmp_path / "journal.bson"
    whole = path.read_bytes()
    torn(path)

    with caplog.at_level(logging.WARNING):
        restored(tmp_path)

    [aside] = kept_aside(tmp_path)
    assert path.read_bytes() + aside.read_bytes() == whole[:-7]
    assert f"discarded {aside.stat().st_size} bytes" in caplog.text


def test_a_flipped_byte_in_a_middle_record_ends_the_replay_there(tmp_path: Path,
                                                                 caplog) -> None:
    written(tmp_path, "one", "two", "three")
    path = tmp_path / "journal.bson"
    data = bytearray(path.read_bytes())
    second = data.index(b"secret two")
    data[second] ^= 0x01  # the BSON still parses: only the checksum can tell
    path.write_bytes(bytes(data))

    with caplog.at_level(logging.WARNING):
        assert restored(tmp_path) == ["one"]

    first_record = len(bson.encode({"e": put("one")})) + 4
    assert f"record #2 at byte {len(MAGIC) + first_record} fails its checksum" in caplog.text
    assert "secret" not in caplog.text  # offsets, never contents


def test_a_journal_written_before_checksums_still_replays(tmp_path: Path) -> None:
    (tmp_path / "snapshot.bson").write_bytes(bson.encode({"e": put("old-snapshot")}))
    (tmp_path / "journal.bson").write_bytes(
        bson.encode({"e": put("old-one")}) + bson.encode({"e": put("old-two")}))

    assert restored(tmp_path) == ["old-snapshot", "old-one", "old-two"]
    assert (tmp_path / "journal.bson").read_bytes().startswith(MAGIC)  # rewritten on opening
    written(tmp_path, "new")
    assert restored(tmp_path) == ["old-snapshot", "old-one", "old-two", "new"]


def test_a_compaction_writes_a_checksummed_snapshot_and_empties_the_journal(
    tmp_path: Path,
) -> None:
    written(tmp_path, "one", "two")
    journal = Journal(tmp_path, fsync=False)
    documents = [entry for entry in journal.replay()]
    journal.open()
    journal.compact(documents)
    journal.close()

    assert (tmp_path / "snapshot.bson").read_bytes().startswith(MAGIC)
    assert (tmp_path / "journal.bson").read_bytes() == b""
    assert restored(tmp_path) == ["one", "two"]


def test_the_snapshot_rename_is_on_disk_before_the_journal_is_emptied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = Journal(tmp_path, fsync=True)
    journal.open()
    journal.append(put("one"))
    steps: list[str] = []
    replace = os.replace
    monkeypatch.setattr(journal_module.os, "replace",
                        lambda *paths: (steps.append("rename"), replace(*paths)))
    monkeypatch.setattr(journal_module, "_fsync_directory",
                        lambda directory: steps.append("fsync directory"))
    journal.compact(put("one"))
    journal.close()

    assert steps == ["rename", "fsync directory", "fsync directory"]  # then the emptying


def test_a_second_opener_in_this_process_is_refused(tmp_path: Path) -> None:
    first = Journal(tmp_path)
    with pytest.raises(DataDirectoryInUse, match="already open in this process"):
        Journal(tmp_path)
    with pytest.raises(DataDirectoryInUse, match="MONGODB_URL"):
        MemoryDatabase("t", tmp_path)
    first.close()


def test_another_process_is_refused_the_directory_and_told_why(tmp_path: Path) -> None:
    held = Journal(tmp_path)
    opener = ("import sys; from pathlib import Path; from shared.database.journal import "
              "Journal; Journal(Path(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", opener, str(tmp_path)],
                            capture_output=True, text=True, check=False,
                            cwd=Path(__file__).resolve().parents[3])
    held.close()

    assert result.returncode != 0
    assert (f"the data directory {tmp_path} is in use by another process of this service "
            f"(pid {os.getpid()})") in result.stderr
    assert "MONGODB_URL" in result.stderr


async def test_closing_the_database_lets_a_restart_open_the_directory(tmp_path: Path) -> None:
    db = MemoryDatabase("t", tmp_path)
    await db.collection("notes").insert_one({"_id": "kept"})
    await db.close()

    again = MemoryDatabase("t", tmp_path)
    assert await again.collection("notes").find_one({"_id": "kept"}) == {"_id": "kept"}
    await again.close()


async def test_an_erasure_scrub_deletes_the_kept_aside_tails(tmp_path: Path) -> None:
    written(tmp_path, "one", "two")
    torn(tmp_path / "journal.bson")
    db = MemoryDatabase("t", tmp_path, fsync=False)
    assert kept_aside(tmp_path)

    await db.scrub()  # an erased customer's documents may be in the discarded bytes

    assert not kept_aside(tmp_path)
    await db.close()
