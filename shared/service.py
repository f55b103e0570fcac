"""The runtime every service is built on: settings, database, broker, outbox, jobs, HTTP app.

Nothing here connects at import time: ``ServiceRuntime`` is created by the service's app
factory and connects in the HTTP app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pymongo.errors import DuplicateKeyError

from shared.auth import Authenticator, PeopleDirectory, TokenRegistry
from shared.auth.keys import KeySource, RemoteKeySet
from shared.auth.tokens import Issuer, TokenVerifier
from shared.broker import make_broker
from shared.consumer import Handler, Reads, Route, Subscription
from shared.contracts import Event
from shared.database import Database, open_database
from shared.database.journal import DataDirectoryInUse
from shared.database.port import DeploymentRefused
from shared.faults import FaultClock, FaultyDatabase, fault_routes
from shared.http import install_api_docs, install_common
from shared.lag import ConsumerLag
from shared.leases import Leases, this_process
from shared.logs import configure_logging
from shared.metrics import ServiceMetrics
from shared.outbox import Outbox, committing
from shared.privacy import COLLECTION as PRIVACY_COLLECTION
from shared.privacy import scrub_after_erasures
from shared.retries import RetryingRoute, retry_transient
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Job = Callable[[], Awaitable[None]]


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics(settings.service_name)
        try:
            self.db: Database = open_database(settings)
        except DataDirectoryInUse as in_use:  # another process has the stand-in's files
            raise SystemExit(f"{settings.service_name}: {in_use}") from None
        self.faults: FaultClock | None = None
        if settings.faults_enabled:
            self.faults = FaultClock()
            self.db = FaultyDatabase(self.db, self.faults)
        self.broker = make_broker(settings, self.metrics.registry)
        # The stand-in serves one process (its data directory is locked): no owners, no
        # leases. On MongoDB, replicas may share the database.
        shared = settings.mongodb_url not in ("", "memory://")
        self.process = this_process()
        self.outbox = Outbox(self.db, self.broker, self.metrics,
                             owner=self.process if shared else None)
        self.people = PeopleDirectory(self.db)
        self._routes: list[Route[Any]] = []
        self._registered = False
        self._jobs: list[tuple[str, float, Job, bool]] = []
        self.leases = Leases(self.db, self.process) if shared else None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._joining: asyncio.Task[None] | None = None
        # Each process scrubs its own stand-in files (MongoDB needs nothing).
        self.every("erasure-scrub", settings.erasure_scrub_s, self._scrub, each_replica=True)
        self.started = False
        self.consuming = False  # the consumer group has assigned this process its partitions

    def subscribe(self, event_type: type[E], handler: Handler[E],
                  reads: Reads[E] | None = None) -> None:
        """Consume ``event_type``'s topic with ``handler`` (in the service's one group).

        ``reads``, given a unit's events, names the documents the handler reads by ``_id``
        (by collection), so that a database over the network reads them in one query."""
        if any(route.topic == event_type.topic for route in self._routes):
            raise ValueError(f"{event_type.topic} already has a handler")
        self._routes.append(Route(event_type.topic, event_type, handler, reads))

    def every(self, name: str, interval_s: float, job: Job, each_replica: bool = False) -> None:
        """Run ``job`` periodically while the service runs (failures are logged, not fatal).

        A job runs on one replica at a time (a lease in the database, ``shared.leases``);
        ``each_replica``: on every process (it works on this process's own state, or claims
        its work item by item itself)."""
        self._jobs.append((name, interval_s, job, each_replica))

    async def run_job(self, name: str, interval_s: float, job: Job,
                      each_replica: bool = False) -> bool:
        """One run of a job: under its lease unless ``each_replica``, run again after a
        transient transaction error; whether it ran here (``False``: another replica holds
        the lease)."""
        if each_replica or self.leases is None:
            await retry_transient(job, f"job {name}")
            return True
        async with self.leases.running(name, timedelta(seconds=interval_s)) as mine:
            if mine:
                await retry_transient(job, f"job {name}")
            return mine

    @contextlib.asynccontextmanager
    async def command(self) -> AsyncIterator[None]:
        """One HTTP command or job step: its writes and ``publish`` calls commit together,
        and are durable when the block ends (answer only after that). The events it
        published are counted by the business metrics then (``shared.outbox.committing``)."""
        async with committing():
            async with self.db.transaction():
                yield
            await self.db.durable()

    async def publish(self, events: Sequence[Event]) -> None:
        """Record events in the outbox (call inside a transaction) and wake the relay."""
        await self.outbox.add(events)

    def observe_committed(self, observe: Callable[[Event], None]) -> None:
        """Show ``observe`` every event this service commits (a consumed unit's derived
        events, a command's or job step's published ones), once the transaction committed:
        the service's business metrics count there, never inside a handler."""
        self.outbox.observe = observe

    def register_consumers(self) -> None:
        """Put the service's subscription on the broker (once; before the broker starts)."""
        if self._routes and not self._registered:
            Subscription(routes=self._routes, settings=self.settings, db=self.db,
                         outbox=self.outbox, broker=self.broker, metrics=self.metrics).register()
            self._registered = True

    async def check_database(self) -> None:
        """Refuse to start on a database that cannot run the service (``DeploymentRefused``
        with what to change): a standalone MongoDB server. Before anything is written."""
        await self.db.check_deployment()

    async def start(self) -> None:
        # A TTL index ages out processed event ids (the stand-in records it, MongoDB enforces).
        await self.db.collection("processed_events").create_index(
            "at", expireAfterSeconds=self.settings.processed_retention_days * 86_400)
        await self.db.collection(PRIVACY_COLLECTION).create_index("scrubbed_at")
        await self.db.verify_indexes()  # the service's own, created before (on_start), too
        self.register_consumers()
        # The producer first: commands and the outbox can publish from here on.
        await self.broker.connect()
        # The consumer group is joined in the background. Joining waits for the group to
        # rebalance: seconds on a fresh start, and after a crash until the dead member's
        # session expires (10 s); the HTTP API serves meanwhile, from the database.
        self._joining = asyncio.create_task(self._start_consuming())
        self._tasks.append(asyncio.create_task(self.outbox.run(self._stop)))
        if self._routes and self.settings.lag_interval_s > 0:
            lag = ConsumerLag(self.settings, self.metrics,
                              f"{self.settings.kafka_group_prefix}.{self.settings.service_name}",
                              [route.topic for route in self._routes])
            self._tasks.append(asyncio.create_task(
                lag.run(self._stop, self.settings.lag_interval_s)))
        for name, interval, job, each_replica in self._jobs:
            self._tasks.append(asyncio.create_task(
                self._periodic(name, interval, job, each_replica)))
        self.started = True
        log.info("%s started", self.settings.service_name)

    async def _start_consuming(self) -> None:
        try:
            await self.broker.start()  # returns once the group has assigned partitions
        except Exception:
            # As a failed start did before the join moved here: the process exits and its
            # supervisor (make run, Kubernetes) starts it again.
            log.critical("%s: the consumer could not start; stopping the process",
                         self.settings.service_name, exc_info=True)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.consuming = True
        log.info("%s consuming", self.settings.service_name)

    async def stop(self) -> None:
        self.started = False
        self._stop.set()
        if self._joining is not None and not self._joining.done():
            self._joining.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._joining
        # Stops the consumers after their in-flight batches finish and commit.
        await self.broker.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.db.close()
        log.info("%s stopped", self.settings.service_name)

    async def readiness(self) -> dict[str, str]:
        checks = {"service": "ok" if self.started else "starting",
                  "consumer": "ok" if self.consuming else "joining"}
        try:
            await asyncio.wait_for(self.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"unavailable: {type(error).__name__}"
        try:
            checks["broker"] = "ok" if await self.broker.ping(timeout=2) else "unavailable"
        except Exception as error:
            checks["broker"] = f"unavailable: {type(error).__name__}"
        return checks

    async def _scrub(self) -> None:
        await scrub_after_erasures(self.db)

    async def _periodic(self, name: str, interval: float, job: Job,
                        each_replica: bool) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            if self._stop.is_set():
                return
            try:
                await self.run_job(name, interval, job, each_replica)
            except Exception:
                log.exception("periodic job %s failed; it runs again in %.0fs", name, interval)


def authenticator(settings: ServiceSettings, people: PeopleDirectory,
                  session_keys: KeySource | None = None) -> Authenticator:
    """Machine-client tokens, registry's session tokens, and the company IdP's if configured.

    ``session_keys``: registry's own signing keys (registry is the directory, so strict);
    every other service fetches them from registry's JWKS.
    """
    issuers = [Issuer(settings.auth_issuer, settings.auth_audience,
                      session_keys or RemoteKeySet(settings.jwks_url()), local=True)]
    if settings.oidc_issuer and settings.oidc_jwks_url and settings.oidc_audience:
        issuers.append(Issuer(settings.oidc_issuer, settings.oidc_audience,
                              RemoteKeySet(settings.oidc_jwks_url), local=False,
                              role_claim=settings.oidc_role_claim))
    return Authenticator(TokenRegistry(settings), TokenVerifier(issuers), people,
                         strict=session_keys is not None)


def refuse_unsafe_start(settings: ServiceSettings) -> None:
    """Exit, saying why, when secrets are missing, or weak outside the embedded mode."""
    name = settings.service_name
    missing = settings.missing_secrets()
    if missing:
        raise SystemExit(f"{name}: set {', '.join(missing)} "
                         "(see .env.example; `make run` sets development values)")
    problems = settings.weak_secrets() + settings.oidc_problems()
    if problems:
        raise SystemExit(
            f"{name}: refusing to start with a real Kafka or MongoDB configured: "
            + "; ".join(problems)
            + ". Generate secrets with `openssl rand -hex 32` (deploy/README.md).")


async def start_once(on_start: Callable[[], Awaitable[None]]) -> None:
    """A service's start-up steps (indexes, seeds, one-off clean-ups), written to be run
    again: replicas starting together race on them, and the loser of a write conflict or a
    duplicate key runs them again, finding the winner's work done."""
    for attempt in range(3):
        try:
            await retry_transient(on_start, "start-up")
            return
        except DuplicateKeyError:
            if attempt == 2:
                raise
            log.info("start-up: another replica did a step at the same moment; again")


def create_http_app(runtime: ServiceRuntime, title: str, description: str,
                    on_start: Callable[[], Awaitable[None]] | None = None,
                    session_keys: KeySource | None = None) -> FastAPI:
    """The service's FastAPI app; its lifespan starts and stops the runtime."""
    refuse_unsafe_start(runtime.settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await runtime.check_database()
            if on_start is not None:
                await start_once(on_start)
            await runtime.start()
        except DeploymentRefused as refused:
            log.critical("%s: refusing to start: %s", runtime.settings.service_name, refused)
            await runtime.db.close()
            raise SystemExit(3) from None
        try:
            yield
        finally:
            await runtime.stop()

    # The docs routes are install_api_docs's, so that CRM_API_DOCS decides who reads them.
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.router.route_class = RetryingRoute  # every endpoint runs again after a conflict
    app.state.runtime = runtime
    app.state.auth = authenticator(runtime.settings, runtime.people, session_keys)
    install_common(app, runtime.metrics, runtime.settings.max_body_bytes, runtime.readiness,
                   service=runtime.settings.service_name)
    install_api_docs(app, runtime.settings.api_docs)
    if runtime.faults is not None:
        app.include_router(fault_routes(runtime.faults))
    return app


_shutdown_hooks: list[Callable[[], None]] = []


def on_shutdown(hook: Callable[[], None]) -> None:
    """Call ``hook`` (on the event loop) the moment the process is told to stop, before the
    server waits for open requests: long-lived streams end then, instead of holding the
    shutdown for its whole grace period."""
    _shutdown_hooks.append(hook)


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: Any) -> None:
        loop = getattr(self, "_loop", None)
        if loop is not None:
            for hook in _shutdown_hooks:
                loop.call_soon_threadsafe(hook)
        super().handle_exit(sig, frame)

    async def serve(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)


def serve(factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run a service in this process until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        factory, factory=True, host=settings.http_host, port=settings.http_port,
        access_log=False, log_config=None, timeout_graceful_shutdown=20,
        server_header=False, proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    _Server(config).run()


