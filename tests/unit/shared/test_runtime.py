"""The local runtime: ports for the suite, and how the supervisor knows a service is up."""

import asyncio
import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from shared.runtime.__main__ import ports_in_use
from shared.runtime.kafka import first_ephemeral_port, free_ports
from shared.runtime.supervisor import ServiceProcess, Supervisor
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings


def test_free_ports_are_distinct_bindable_and_outside_the_ephemeral_range() -> None:
    ports = free_ports(40)
    assert len(set(ports)) == 40
    low = first_ephemeral_port()
    if low - 10000 >= 1000:  # room below the range: outgoing connections never take these
        assert all(10000 <= port < low for port in ports)
    for port in ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


def test_make_run_names_a_port_another_process_listens_on() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        held = holder.getsockname()[1]
        free = free_ports(1)[0]
        assert ports_in_use({"registry": held, "scoring": free}) == [f"{held} (registry)"]


class FakeProcess:
    pid = 4242


def service(name: str = "registry", module: str = "") -> ServiceProcess:
    process = ServiceProcess(name, 8000, {}, module=module)
    process.process = FakeProcess()  # type: ignore[assignment]
    return process


def answer(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_ready_from_the_started_process_counts() -> None:
    body = {"status": "ok", "service": "registry", "pid": 4242, "checks": {}}
    assert Supervisor.not_ours(service(), answer(200, body)) is None


def test_ready_from_another_service_on_the_port_does_not_count() -> None:
    body = {"status": "ok", "service": "scoring", "pid": 99, "checks": {}}
    reason = Supervisor.not_ours(service(), answer(200, body))
    assert reason is not None and "scoring" in reason and "registry" in reason


def test_ready_from_a_stale_process_of_the_same_service_does_not_count() -> None:
    body = {"status": "ok", "service": "registry", "pid": 1, "checks": {}}
    reason = Supervisor.not_ours(service(), answer(200, body))
    assert reason is not None and "pid 1" in reason and "pid 4242" in reason


def test_a_second_instance_answers_as_its_module() -> None:
    body = {"status": "ok", "service": "scoring", "pid": 4242, "checks": {}}
    assert Supervisor.not_ours(service("scoring-2", module="scoring"), answer(200, body)) is None


def test_an_unready_service_says_which_check_fails() -> None:
    body = {"status": "unavailable", "service": "registry", "pid": 4242,
            "checks": {"database": "unavailable"}}
    reason = Supervisor.not_ours(service(), answer(503, body))
    assert reason is not None and "503" in reason and "database" in reason


def test_something_else_answering_is_not_ready() -> None:
    reason = Supervisor.not_ours(service(), httpx.Response(200, text="<html>hello</html>"))
    assert reason is not None and "unknown" in reason


async def test_wait_ready_gives_up_naming_the_impostor() -> None:
    """A port held by an HTTP server that is not ours: wait_ready says so when it gives up."""
    async def impostor(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"status": "ok", "service": "scoring", "pid": 7}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(impostor, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    target = service()
    target.port = port
    try:
        supervisor = Supervisor([target])
        try:
            await supervisor.wait_ready(timeout_s=0.5)
        except TimeoutError as error:
            message = str(error)
        else:
            raise AssertionError("an impostor was taken for the service")
    finally:
        server.close()
        await server.wait_closed()
    assert f"port {port}" in message and "scoring" in message


def test_tests_can_wait_for_the_consumer_as_well() -> None:
    body = {"status": "ok", "service": "registry", "pid": 4242,
            "checks": {"consumer": "joining", "database": "ok"}}
    assert Supervisor.not_ours(service(), answer(200, body)) is None
    reason = Supervisor.not_ours(service(), answer(200, body), consuming=True)
    assert reason is not None and "joining" in reason
    body["checks"]["consumer"] = "ok"  # type: ignore[index]
    assert Supervisor.not_ours(service(), answer(200, body), consuming=True) is None


class SlowGroupBroker:
    """A broker whose consumer group takes as long as the test wants to assign partitions."""

    def __init__(self) -> None:
        self.assigned = asyncio.Event()
        self.connected = self.stopped = False

    async def connect(self) -> None:
        self.connected = True

    async def start(self) -> None:
        await self.assigned.wait()

    async def stop(self) -> None:
        self.stopped = True

    async def ping(self, timeout: float) -> bool:  # noqa: ASYNC109 - the broker's signature
        return True


def runtime_on(broker: SlowGroupBroker, data_dir: Path) -> ServiceRuntime:
    """A service runtime on the stand-in database, talking to ``broker``."""
    runtime = ServiceRuntime(ServiceSettings(service_name="probe", mongodb_url="memory://",
                                             data_dir=str(data_dir)))
    runtime.broker = runtime.outbox._broker = broker
    return runtime


async def test_the_service_serves_while_its_consumer_group_is_joined(tmp_path: Path) -> None:
    broker = SlowGroupBroker()
    runtime = runtime_on(broker, tmp_path)
    await asyncio.wait_for(runtime.start(), timeout=5)  # does not wait for the group
    assert broker.connected and runtime.started
    checks = await runtime.readiness()
    assert checks == {"service": "ok", "consumer": "joining", "database": "ok", "broker": "ok"}
    async with runtime.command():  # commands (and publishing) work meanwhile
        await runtime.db.collection("notes").insert_one({"_id": "n1"})

    broker.assigned.set()
    for _ in range(100):
        if runtime.consuming:
            break
        await asyncio.sleep(0.01)
    assert (await runtime.readiness())["consumer"] == "ok"
    await runtime.stop()
    assert broker.stopped


async def test_stopping_while_the_group_is_joined_cancels_the_join(tmp_path: Path) -> None:
    broker = SlowGroupBroker()
    runtime = runtime_on(broker, tmp_path)
    await runtime.start()
    await asyncio.wait_for(runtime.stop(), timeout=5)
    assert broker.stopped and not runtime.consuming


async def test_a_consumer_that_cannot_start_stops_the_process_for_its_supervisor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import service as service_module

    class BrokenGroupBroker(SlowGroupBroker):
        async def start(self) -> None:
            raise ConnectionError("group coordinator unavailable")

    signals: list[tuple[int, int]] = []
    monkeypatch.setattr(service_module.os, "kill", lambda pid, sig: signals.append((pid, sig)))
    runtime = runtime_on(BrokenGroupBroker(), tmp_path)
    await runtime.start()
    for _ in range(100):
        if signals:
            break
        await asyncio.sleep(0.01)
    await runtime.stop()
    assert signals == [(os.getpid(), signal.SIGTERM)] and not runtime.consuming
