"""Run the real suite on loopback for tests and benchmarks: a broker on a free port and the
services as processes, each with its own data directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.runtime.kafka import EmbeddedKafka, ensure_topics, free_port, free_ports
from shared.runtime.supervisor import ServiceProcess, Supervisor

ROOT = Path(__file__).resolve().parents[2]  # the repository
# Long enough for any shape, a MongoDB server's included (not the embedded mode there).
TOKENS = {role: f"test-{role}-token-for-the-suite-on-loopback"
          for role in ("operator", "analyst", "admin", "telephony")}
PASSWORD = "a long enough test password"  # noqa: S105 (of the people tests create)
ALL_SERVICES = ("registry", "scoring", "loyalty", "notify")


class Suite:
    """A broker plus the chosen services as processes, each with its own data directory."""

    def __init__(self, workdir: Path, services: Iterable[str] = ALL_SERVICES,
                 env: dict[str, str] | None = None, mongodb_url: str | None = None,
                 replicas: dict[str, int] | None = None,
                 database_prefix: str = "crm_") -> None:
        """``mongodb_url``: the services run on that MongoDB deployment instead of the
        stand-in, in databases named ``<database_prefix><service>`` (tests sharing a server
        give each suite a prefix of its own: ``isolated_prefix``);
        ``replicas``: that many processes of a service (``loyalty``, ``loyalty-2``...), in
        its consumer group, sharing its database (so a ``mongodb_url`` is needed)."""
        self.workdir = workdir
        self.mongodb_url = mongodb_url
        self.database_prefix = database_prefix
        self.modules: dict[str, str] = {}  # process name -> service
        for service in services:
            for number in range(1, (replicas or {}).get(service, 1) + 1):
                self.modules[service if number == 1 else f"{service}-{number}"] = service
        if len(self.modules) > len(list(services)) and mongodb_url is None:
            raise ValueError("replicas share a database: give a mongodb_url")
        self.names = list(self.modules)
        kafka_port, *ports = free_ports(1 + len(self.names))
        self.kafka = EmbeddedKafka(kafka_port, log_path=workdir / "tansu.log")
        self.ports = dict(zip(self.names, ports, strict=True))
        self.extra_env = env or {}
        self.log_path = workdir / "services.log"
        self._log = self.log_path.open("a")
        self.supervisor: Supervisor | None = None

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
        env.update({
            "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "KAFKA_IDEMPOTENT_PRODUCER": "false",
            "MONGODB_URL": self.mongodb_url or "memory://",
            "MONGODB_DATABASE_PREFIX": self.database_prefix,
            "CRM_DATA_DIR": str(self.workdir / "data"),
            "CRM_OPERATOR_TOKEN": TOKENS["operator"], "CRM_ANALYST_TOKEN": TOKENS["analyst"],
            "CRM_ADMIN_TOKEN": TOKENS["admin"], "CRM_TELEPHONY_TOKEN": TOKENS["telephony"],
            "CRM_RETRY_BACKOFF_S": "0.05",
            "CRM_LAG_INTERVAL_S": "2",  # crm_consumer_lag on /metrics soon after a start
            # Tests and benchmarks poll customers and cards with one token: not a scrape.
            # A test of the limit itself passes a lower one in ``env``.
            "CRM_PERSONAL_READS_PER_MINUTE": "1000000",
        })
        env.update({f"CRM_{name.upper()}_PORT": str(port) for name, port in self.ports.items()
                    if name in ALL_SERVICES})
        env.update(self.extra_env)
        return env

    def env_of(self, name: str) -> dict[str, str]:
        """The environment of one process: a replica listens on its own port and keeps its
        files (registry's keys aside) in its own directory."""
        service = self.modules[name]
        env = self.env()
        if name != service:
            env |= {f"CRM_{service.upper()}_PORT": str(self.ports[name]),
                    "CRM_DATA_DIR": str(self.workdir / f"data-{name}")}
        return env

    def _output(self, name: str, line: str) -> None:
        self._log.write(f"{name:>8} | {line}\n")
        self._log.flush()

    async def start(self) -> None:
        self.kafka.start()
        await ensure_topics(self.bootstrap, partitions=4)
        self.supervisor = Supervisor(
            [ServiceProcess(name, self.ports[name], self.env_of(name), module=self.modules[name])
             for name in self.names],
            output=self._output,
        )
        await self.supervisor.start_all()
        self._stop = asyncio.Event()
        self._watch = asyncio.create_task(self.supervisor.watch(self._stop))
        try:
            await self.supervisor.wait_ready(timeout_s=60, consuming=True)
        except TimeoutError:
            raise AssertionError("suite not ready:\n" + self.tail()) from None

    async def stop(self) -> None:
        if self.supervisor is not None:
            self._stop.set()
            await self.supervisor.stop()
            self._watch.cancel()
        self.kafka.stop()
        self._log.close()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])

    async def add_instance(self, service: str, instance: str) -> ServiceProcess:
        """A second process of ``service`` in the same consumer group, with its own data."""
        assert self.supervisor is not None
        port = free_port()
        env = self.env() | {f"CRM_{service.upper()}_PORT": str(port),
                            "CRM_DATA_DIR": str(self.workdir / f"data-{instance}")}
        process = ServiceProcess(instance, port, env, module=service)
        await self.supervisor.add(process)
        self.ports[instance] = port
        return process

    async def wait_ready(self, service: str, timeout_s: float = 60,
                         consuming: bool = True) -> float:
        """Seconds until the current process of ``service`` answers /ready with 200 (and,
        with ``consuming``, its consumer has joined the group)."""
        assert self.supervisor is not None
        started = time.monotonic()
        try:
            await self.supervisor.wait_ready(timeout_s, consuming, names=[service])
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{self.tail()}") from None
        return time.monotonic() - started

    def peak_rss_mb(self, service: str) -> float | None:
        """The peak resident memory (VmHWM) of ``service``'s current process so far, in MB;
        None where /proc does not tell (not Linux, or the process has exited)."""
        assert self.supervisor is not None
        process = self.supervisor.services[service].process
        if process is None or process.returncode is not None:
            return None
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # the kernel counts in kB
        return None

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def client(self, service: str, role: str | None = "operator") -> httpx.AsyncClient:
        """A machine client with the role's token (``None``: no token at all)."""
        headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
        return httpx.AsyncClient(base_url=self.url(service), headers=headers, timeout=10)

    def client_with(self, service: str, token: str) -> httpx.AsyncClient:
        """A client presenting ``token`` (a person's session token, say)."""
        return httpx.AsyncClient(base_url=self.url(service), timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})

    async def create_person(self, login: str, display_name: str, role: str = "operator",
                            password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
        """A person in registry's directory, created with the admin client token."""
        async with self.client("registry", role="admin") as admin:
            response = await admin.post("/api/operators", json={
                "login": login, "display_name": display_name, "role": role,
                "password": password, **fields})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def sign_in(self, login: str, password: str = PASSWORD) -> str:
        """The person's session token from ``POST /api/sessions``."""
        async with httpx.AsyncClient(base_url=self.url("registry"), timeout=10) as anyone:
            response = await anyone.post("/api/sessions",
                                         json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    async def produce(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    async def read(self, topic: str, until: Callable[[list[ConsumerRecord]], bool],
                   timeout_s: float = 20) -> list[ConsumerRecord]:
        """All records of a topic from the start, once ``until(records)`` holds (or timeout)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                    fetch_max_wait_ms=20)  # Tansu answers long polls late
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            for _ in range(50):
                if partitions:
                    break
                await asyncio.sleep(0.1)
                partitions = consumer.partitions_for_topic(topic) or set()
            assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            records: list[ConsumerRecord] = []
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for chunk in batch.values():
                    records.extend(chunk)
                if until(records):
                    break
            return records
        finally:
            await consumer.stop()


def isolated_prefix(workdir: Path) -> str:
    """A database prefix of a suite's own, from its (unique) directory's name."""
    return "t" + "".join(ch for ch in workdir.name if ch.isalnum())[-40:] + "_"


class EventStream:
    """A reader of a Server-Sent Events stream (an operator's screen): ``async with``, then
    ``next(kind)`` for the next event of that kind, or ``quiet(kind, s)`` to see none came."""

    def __init__(self, base_url: str, path: str, token: str | None = None,
                 params: dict[str, str] | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers,
                                         timeout=httpx.Timeout(10, read=None))
        self._path = path
        self._params = params or {}
        self.events: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()
        self.status: int | None = None
        self.error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._opened = asyncio.Event()
        self.last_arrival = 0.0  # perf_counter() when the event ``next`` returned was read

    async def __aenter__(self) -> EventStream:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self._opened.wait(), 10)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.aclose()

    async def _read(self) -> None:
        try:
            async with self._client.stream("GET", self._path, params=self._params) as response:
                self.status = response.status_code
                if response.status_code != 200:
                    self.error = (await response.aread()).decode()
                    self._opened.set()
                    return
                self._opened.set()
                kind, data = "message", list[str]()
                async for line in response.aiter_lines():
                    if line == "":
                        if data:
                            self.events.put_nowait((kind, json.loads("\n".join(data)),
                                                    time.perf_counter()))
                        kind, data = "message", list[str]()
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
        finally:
            self._opened.set()
            self.events.put_nowait(("closed", None, time.perf_counter()))

    async def next(self, kind: str, timeout_s: float = 10) -> Any:
        """The data of the next event of ``kind`` (others before it are skipped)."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind!r} event within {timeout_s} s")
            try:
                got, data, arrived = await asyncio.wait_for(self.events.get(), left)
            except TimeoutError:
                raise AssertionError(f"no {kind!r} event within {timeout_s} s") from None
            if got == kind:
                self.last_arrival = arrived
                return data
            if got == "closed":
                raise AssertionError(f"the stream closed before a {kind!r} event")

    async def quiet(self, kind: str, seconds: float) -> bool:
        """True when no event of ``kind`` arrives within ``seconds``."""
        try:
            await self.next(kind, seconds)
        except AssertionError:
            return True
        return False


def values(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        try:
            out.append(json.loads(record.value))
        except (ValueError, TypeError):
            continue
    return out


async def eventually(check: Callable[[], Any], timeout_s: float = 20, interval_s: float = 0.2,
                     what: str = "condition") -> Any:
    """Poll an async or sync check until it returns a truthy value."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")
