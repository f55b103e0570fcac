"""A small process manager for the four services: prefixed logs, restart with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from shared.runtime.kafka import die_with_parent

COLOURS = {"registry": 36, "scoring": 35, "loyalty": 33, "notify": 32, "runtime": 34}
MAX_BACKOFF_S = 30.0


def say(name: str, line: str) -> None:
    colour = COLOURS.get(name, 37)
    prefix = f"\x1b[{colour}m{name:>8} |\x1b[0m" if sys.stdout.isatty() else f"{name:>8} |"
    print(f"{prefix} {line}", flush=True)


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    module: str = ""  # services.<module>; defaults to the name (a second instance differs)
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    backoff_s: float = 1.0
    started_at: float = 0.0
    pump: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Supervisor:
    """Starts services as processes and keeps them running until ``stop()``."""

    def __init__(self, services: list[ServiceProcess], restart: bool = True,
                 output: Callable[[str, str], None] = say) -> None:
        self.services = {service.name: service for service in services}
        self.restart = restart
        self.output = output
        self._stopping = False
        self._restarts: set[asyncio.Task[None]] = set()

    async def start(self, name: str) -> None:
        service = self.services[name]
        service.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{service.module or name}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=service.env, start_new_session=True, preexec_fn=die_with_parent,
        )
        service.started_at = time.monotonic()
        service.pump = asyncio.create_task(self._pump(service))

    async def add(self, service: ServiceProcess) -> None:
        """Start one more process (e.g. a second instance joining the consumer group)."""
        self.services[service.name] = service
        await self.start(service.name)

    async def remove(self, name: str, grace_s: float = 25.0) -> None:
        """Stop one process gracefully and forget it (it is not restarted)."""
        service = self.services.pop(name)
        if service.process is not None and service.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(service.process.wait(), timeout=grace_s)
            except TimeoutError:
                os.killpg(service.process.pid, signal.SIGKILL)
                await service.process.wait()

    async def start_all(self) -> None:
        for name in self.services:
            await self.start(name)

    async def _pump(self, service: ServiceProcess) -> None:
        assert service.process is not None and service.process.stdout is not None
        async for raw in service.process.stdout:
            self.output(service.name, raw.decode(errors="replace").rstrip())

    async def wait_ready(self, timeout_s: float = 90.0, consuming: bool = False,
                         names: Iterable[str] | None = None) -> None:
        """Until every service's own process (or those in ``names``) answers /ready with 200.

        The answer must come from the process started here (its name and pid), not from
        whatever else may hold the port: a stale process or another service. With
        ``consuming``, also until its consumer has joined the group (tests want that).
        """
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as client:
            for name in list(self.services) if names is None else names:
                service = self.services[name]
                problem: str | None = "no answer"
                while True:
                    try:
                        response = await client.get(f"{service.url}/ready")
                        problem = self.not_ours(service, response, consuming)
                        if problem is None:
                            break
                    except httpx.HTTPError as error:
                        problem = f"no answer ({type(error).__name__})"
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{service.name} is not ready after {timeout_s:.0f}s "
                                           f"on port {service.port}: {problem}")
                    await asyncio.sleep(0.1)

    @staticmethod
    def not_ours(service: ServiceProcess, response: httpx.Response,
                 consuming: bool = False) -> str | None:
        """Why this /ready answer does not show ``service`` ready, or None if it does."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        expected = service.module or service.name
        answered_as = body.get("service") if isinstance(body, dict) else None
        pid = body.get("pid") if isinstance(body, dict) else None
        ours = service.process.pid if service.process is not None else None
        if answered_as != expected or pid != ours:
            return (f"the port is held by another process ({answered_as or 'unknown'}, "
                    f"pid {pid}), not by the {expected} started here (pid {ours})")
        if response.status_code != 200:
            return f"/ready answers {response.status_code}: {body.get('checks')}"
        if consuming and (body.get("checks") or {}).get("consumer") != "ok":
            return "its consumer is still joining the group"
        return None

    async def watch(self, stop: asyncio.Event) -> None:
        """Restart services that die, with exponential backoff, until ``stop`` is set."""
        while not stop.is_set():
            for service in self.services.values():
                process = service.process
                if process is None or process.returncode is None or self._stopping:
                    continue
                if time.monotonic() - service.started_at > 60:
                    service.backoff_s = 1.0  # it ran for a while: a fresh failure
                self.output("runtime", f"{service.name} exited with code {process.returncode}; "
                            f"restarting in {service.backoff_s:.0f}s")
                service.process = None
                task = asyncio.create_task(self._restart_later(service, service.backoff_s))
                self._restarts.add(task)
                task.add_done_callback(self._restarts.discard)
                service.backoff_s = min(service.backoff_s * 2, MAX_BACKOFF_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.2)

    async def _restart_later(self, service: ServiceProcess, delay: float) -> None:
        await asyncio.sleep(delay)
        if not self._stopping and self.restart:
            service.restarts += 1
            await self.start(service.name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.services[name].process
        if process is not None and process.returncode is None:
            os.killpg(process.pid, sig)

    async def stop(self, grace_s: float = 25.0) -> None:
        """SIGTERM every service (graceful: in-flight events finish), SIGKILL stragglers."""
        self._stopping = True
        running = [s for s in self.services.values()
                   if s.process is not None and s.process.returncode is None]
        for service in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
        for service in running:
            assert service.process is not None
            try:
                await asyncio.wait_for(service.process.wait(), timeout=grace_s)
            except TimeoutError:
                self.output("runtime", f"{service.name} did not stop in {grace_s:.0f}s: killing")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                await service.process.wait()
        for service in self.services.values():
            if service.pump is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(service.pump, timeout=2)
