"""A MongoDB wire-protocol server on loopback for tests and benchmarks: SecantusDB, a
one-node replica set (``secantus``) on the WiredTiger engine, installed with the dev extras.

No ``mongod`` can be installed on the development machines; SecantusDB speaks the same
protocol to PyMongo (transactions, unique indexes, ``TransientTransactionError`` labels), so
the production adapter (``shared.database.mongo``) runs over a real network connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
from pathlib import Path

from pymongo import AsyncMongoClient

from shared.runtime.kafka import free_port

REPLICA_SET = "secantus"


class MongoServer:
    """``secantusd-py`` as a child process; ``url`` is what ``MONGODB_URL`` takes."""

    def __init__(self, storage: Path | None = None, port: int | None = None,
                 standalone: bool = False) -> None:
        """``standalone``: a server that is no replica set (the suite must refuse it)."""
        self.port = port or free_port()
        self.storage = storage
        self.standalone = standalone
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        if self.standalone:
            return f"mongodb://127.0.0.1:{self.port}/"
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet={REPLICA_SET}"

    @staticmethod
    def executable() -> str:
        found = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        if not Path(found).exists():
            raise RuntimeError("secantusd-py is not installed: pip install -e '.[dev]' "
                               "(make test installs it)")
        return found

    async def start(self, timeout_s: float = 30) -> None:
        storage = str(self.storage) if self.storage is not None else ":memory:"
        self.process = await asyncio.create_subprocess_exec(
            self.executable(), "--host", "127.0.0.1", "--port", str(self.port),
            "--storage-path", storage, "--log-level", "WARNING",
            *(["--standalone"] if self.standalone else []),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            self.url, serverSelectionTimeoutMS=500)
        try:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"secantusd-py exited with {self.process.returncode}")
                try:
                    await client.admin.command("ping")
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        finally:
            await client.close()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
