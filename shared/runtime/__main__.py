"""`python -m shared.runtime run`: the embedded suite (what `make run` starts).

Starts the embedded broker unless KAFKA_BOOTSTRAP_SERVERS is set, creates the topics, runs
the four services as supervised processes, waits until each is ready, prints where to go.
Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

from shared.broker import kafka_client_options
from shared.runtime.kafka import EmbeddedKafka, ensure_topics
from shared.runtime.replicas import (
    Replica,
    ReplicasProblem,
    layout,
    parse_replicas,
    shared_database_problem,
)
from shared.runtime.supervisor import ServiceProcess, Supervisor, say
from shared.settings import ServiceSettings, secret_problem

#: Secrets any service reads, checked before anything starts.
SECRET_VARIABLES = ("CRM_OPERATOR_TOKEN", "CRM_ANALYST_TOKEN", "CRM_ADMIN_TOKEN",
                    "CRM_BOOTSTRAP_ADMIN_PASSWORD", "CRM_SMS_INBOUND_TOKEN",
                    "CRM_TELEPHONY_TOKEN")

SERVICES = {"registry": 8000, "scoring": 8001, "loyalty": 8002, "notify": 8003}
ROOT = Path(__file__).resolve().parents[2]


def load_env_files() -> None:
    """Values from .env, then dev defaults from .env.example, for what is not already set."""
    for name in (".env", ".env.example"):
        path = ROOT / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                os.environ.setdefault(key.strip(), value.strip().strip('"'))


def ports_in_use(wanted: dict[str, int]) -> list[str]:
    """The ports among ``wanted`` that another process already listens on, described."""
    taken = []
    for what, port in wanted.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{port} ({what})")
    return taken


async def run() -> int:
    embedded: EmbeddedKafka | None = None
    data_dir = Path(os.environ["CRM_DATA_DIR"])
    ports = {name: int(os.environ.get(f"CRM_{name.upper()}_PORT", port))
             for name, port in SERVICES.items()}
    mongo = os.environ.get("MONGODB_URL") or "memory://"
    try:
        counts = parse_replicas(os.environ.get("CRM_REPLICAS"), SERVICES)
    except ReplicasProblem as wrong:
        say("runtime", f"cannot start: {wrong}")
        return 1
    unshared = shared_database_problem(counts, mongo)
    if unshared is not None:
        say("runtime", f"cannot start: {unshared}")
        return 1
    processes = layout(counts, ports)
    if mongo != "memory://":
        refused = await mongodb_problem(mongo)
        if refused is not None:
            say("runtime", f"cannot start: {refused}")
            return 1
    wanted = {replica.name: replica.port for replica in processes}
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        wanted["embedded broker"] = int(os.environ.get("CRM_EMBEDDED_KAFKA_PORT", "9092"))
    taken = ports_in_use(wanted)
    if taken:
        which = ("port " if len(taken) == 1 else "ports ") + ", ".join(taken)
        say("runtime", f"cannot start: {which} already in use, perhaps by "
                       "another `make run`. Stop it, or choose other ports with "
                       "CRM_<SERVICE>_PORT and CRM_EMBEDDED_KAFKA_PORT.")
        return 1
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        port = int(os.environ.get("CRM_EMBEDDED_KAFKA_PORT", "9092"))
        embedded = EmbeddedKafka(port, log_path=data_dir / "tansu.log")
        say("runtime", f"starting the embedded broker (Tansu) on 127.0.0.1:{port}")
        embedded.start()
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = embedded.bootstrap
        os.environ["KAFKA_IDEMPOTENT_PRODUCER"] = "false"  # Tansu lacks InitProducerId
    settings = ServiceSettings()
    unsafe = unsafe_secrets(settings)
    if unsafe:
        say("runtime", "cannot start: a real Kafka or MongoDB is configured, and "
                       + "; ".join(unsafe) + ". Set real secrets (`openssl rand -hex 32`) "
                       "in the environment or .env.")
        if embedded is not None:
            embedded.stop()
        return 1
    partitions = int(os.environ.get("CRM_TOPIC_PARTITIONS", "4"))
    replication = int(os.environ.get("CRM_TOPIC_REPLICATION_FACTOR", "1"))
    created = await ensure_topics(settings.kafka_bootstrap_servers, partitions, replication,
                                  None, **kafka_client_options(settings))
    say("runtime", f"topics ready ({len(created)} created, {partitions} partitions each)")
    say("runtime", "database: " + ("in-process stand-in, data in " + str(data_dir)
                                   if mongo == "memory://" else "MongoDB at " + hosts_of(mongo)))
    if counts.get("registry", 1) > 1:
        say("runtime", "note: a ringing call pops the card only on screens connected to the "
                       "registry replica that received the call event (the panel and the "
                       f"PBX use :{ports['registry']})")

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    supervisor = Supervisor([
        ServiceProcess(replica.name, replica.port,
                       env | {f"CRM_{replica.service.upper()}_PORT": str(replica.port)},
                       module=replica.service)
        for replica in processes])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await supervisor.start_all()
    watcher = asyncio.create_task(supervisor.watch(stop))
    try:
        ready = asyncio.create_task(supervisor.wait_ready())
        await asyncio.wait([ready, asyncio.create_task(stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        if ready.done() and ready.exception() is None:
            banner(ports, processes)
        elif ready.done():
            say("runtime", f"not ready: {ready.exception()}")
        while not stop.is_set():
            if embedded is not None and not embedded.alive():
                say("runtime", "the embedded broker died: restarting it (memory-only, topics anew)")
                embedded.stop()
                embedded.start()
                await ensure_topics(embedded.bootstrap, partitions, replication)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1)
    finally:
        say("runtime", "stopping the services")
        await supervisor.stop()
        watcher.cancel()
        if embedded is not None:
            embedded.stop()
        say("runtime", "stopped")
    return 0


def unsafe_secrets(settings: ServiceSettings) -> list[str]:
    """Secrets from the environment that no service would accept outside the embedded mode
    (`make run` reads .env.example's development values when nothing else is set)."""
    if settings.embedded:
        return []
    found = (secret_problem(name, os.environ.get(name, "")) for name in SECRET_VARIABLES
             if os.environ.get(name))
    return [problem for problem in found if problem]


def masked(secret: str | None) -> str:
    """Enough of a secret to tell which one it is, never all of it."""
    if not secret:
        return "(unset)"
    if len(secret) < 12:
        return "*" * len(secret)
    return f"{secret[:4]}…{secret[-2:]} ({len(secret)} characters)"


async def mongodb_problem(url: str) -> str | None:
    """Why the suite cannot run on the MongoDB deployment at ``url`` (None: it can)."""
    from pymongo.errors import PyMongoError

    from shared.database.mongo import MongoDatabase
    from shared.database.port import DeploymentRefused

    database = MongoDatabase(url, "admin", serverSelectionTimeoutMS=5000)
    try:
        await database.check_deployment()
    except DeploymentRefused as refused:
        return str(refused)
    except PyMongoError as error:
        return (f"no MongoDB answers at MONGODB_URL ({hosts_of(url)}) within 5 s "
                f"({type(error).__name__}). Start it, or unset MONGODB_URL for the "
                "in-process stand-in.")
    finally:
        await database.close()
    return None


def hosts_of(url: str) -> str:
    """The hosts of a MongoDB URL, never its credentials."""
    from pymongo.uri_parser import parse_uri

    try:
        return ", ".join(f"{host}:{port}" for host, port in parse_uri(url)["nodelist"])
    except Exception:  # a mongodb+srv:// name needs DNS; say no more than the scheme
        return url.split("://", 1)[0] + "://…"


def banner(ports: dict[str, int], processes: list[Replica]) -> None:
    login = os.environ.get("CRM_BOOTSTRAP_ADMIN_LOGIN", "admin")
    password = os.environ.get("CRM_BOOTSTRAP_ADMIN_PASSWORD")
    lines = [
        "",
        "The suite is ready.",
        f"  Operator panel:  http://127.0.0.1:{ports['registry']}/",
        f"  Sign in:         login {login!r}, the password CRM_BOOTSTRAP_ADMIN_PASSWORD "
        f"[{masked(password)}]",
        "                   (.env or .env.example); then create each person's account",
        "  Client tokens:   CRM_OPERATOR_TOKEN "
        f"[{masked(os.environ.get('CRM_OPERATOR_TOKEN'))}], CRM_ANALYST_TOKEN, "
        "CRM_ADMIN_TOKEN: for scripts and other systems",
        "  Telephony:       POST /api/telephony/events with CRM_TELEPHONY_TOKEN "
        f"[{masked(os.environ.get('CRM_TELEPHONY_TOKEN'))}] pops the card on the screen "
        "of the person whose extension rings",
        "  APIs:            " + ", ".join(
            f"{name} " + " ".join(f":{r.port}" for r in processes if r.service == name)
            for name in ports),
        "  Health:          /health, /ready, /metrics on every service",
        f"  Kafka:           {os.environ['KAFKA_BOOTSTRAP_SERVERS']}",
        "Press Ctrl-C to stop.",
        "",
    ]
    for line in lines:
        say("runtime", line)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.runtime")
    parser.add_argument("command", choices=["run"], help="run: the whole suite")
    parser.parse_args()
    load_env_files()
    # An absolute path: every service process sees the same directory.
    data_dir = Path(os.environ.get("CRM_DATA_DIR") or ROOT / "data")
    os.environ["CRM_DATA_DIR"] = str(data_dir if data_dir.is_absolute() else ROOT / data_dir)
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
