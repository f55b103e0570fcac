"""The pieces of the production shape that need no server: CRM_REPLICAS, where a process
runs, leases on the stand-in, and endpoints run again after a transient transaction error."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pymongo.errors import OperationFailure

from shared.database.memory import MemoryDatabase
from shared.http import install_common
from shared.leases import Leases
from shared.metrics import ServiceMetrics
from shared.retries import ATTEMPTS, RetryingRoute, retry_transient
from shared.runtime.replicas import (
    ReplicasProblem,
    layout,
    parse_replicas,
    shared_database_problem,
)
from shared.settings import ServiceSettings

PORTS = {"registry": 8000, "scoring": 8001, "loyalty": 8002, "notify": 8003}


def conflict() -> OperationFailure:
    return OperationFailure("WriteConflict", code=112,
                            details={"errorLabels": ["TransientTransactionError"]})


def test_replicas_are_counted_per_service_and_listen_a_hundred_ports_apart() -> None:
    counts = parse_replicas(" loyalty=2, notify=3 ", PORTS)
    assert counts == {"registry": 1, "scoring": 1, "loyalty": 2, "notify": 3}
    processes = layout(counts, PORTS)
    assert [(p.name, p.service, p.port) for p in processes] == [
        ("registry", "registry", 8000), ("scoring", "scoring", 8001),
        ("loyalty", "loyalty", 8002), ("loyalty-2", "loyalty", 8102),
        ("notify", "notify", 8003), ("notify-2", "notify", 8103), ("notify-3", "notify", 8203)]
    assert parse_replicas(None, PORTS) == dict.fromkeys(PORTS, 1)


@pytest.mark.parametrize("text", ["loyalty", "billing=2", "loyalty=0", "loyalty=ten",
                                  "loyalty=10"])
def test_a_wrong_replica_count_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ReplicasProblem, match="CRM_REPLICAS"):
        parse_replicas(text, PORTS)


def test_replicas_need_a_shared_database_and_say_how_to_get_one() -> None:
    two = {"loyalty": 2, "notify": 1}
    problem = shared_database_problem(two, "memory://")
    assert problem is not None and "MONGODB_URL" in problem and "loyalty=2" in problem
    assert shared_database_problem(two, "mongodb://127.0.0.1:27018/?replicaSet=s") is None
    assert shared_database_problem({"loyalty": 1}, "memory://") is None


def test_a_mongodb_server_on_loopback_is_this_machine_but_not_the_embedded_mode() -> None:
    local = ServiceSettings(mongodb_url="mongodb://u:p@127.0.0.1:27018,localhost/?replicaSet=s")
    assert local.on_this_machine and not local.embedded
    assert not ServiceSettings(mongodb_url="mongodb://mongo-0/?replicaSet=rs0").on_this_machine
    assert not ServiceSettings(mongodb_url="mongodb+srv://db.example.com").on_this_machine
    assert not ServiceSettings(kafka_bootstrap_servers="kafka-1:9092").on_this_machine
    assert ServiceSettings().on_this_machine and ServiceSettings().embedded


async def test_a_lease_is_held_by_one_process_until_it_ends_or_expires() -> None:
    db = MemoryDatabase("leases")
    first, second = Leases(db, "first"), Leases(db, "second")
    assert await first.take("tiers", timedelta(seconds=60))
    assert not await second.take("tiers", timedelta(seconds=60))
    assert await first.take("tiers", timedelta(seconds=60))  # its holder keeps it
    await first.keep_until("tiers", datetime.now(UTC) - timedelta(seconds=1))  # it died
    assert await second.take("tiers", timedelta(seconds=60))
    assert not await first.take("tiers", timedelta(seconds=60))


async def test_a_run_keeps_its_lease_for_one_interval_and_a_failed_run_frees_it() -> None:
    db = MemoryDatabase("leases")
    first, second = Leases(db, "first"), Leases(db, "second")
    async with first.running("lapse", timedelta(minutes=10)) as mine:
        assert mine
        async with second.running("lapse", timedelta(minutes=10)) as theirs:
            assert not theirs  # while it runs
    async with second.running("lapse", timedelta(minutes=10)) as theirs:
        assert not theirs  # within the interval it began
    with pytest.raises(RuntimeError):
        async with first.running("tiers", timedelta(minutes=10)) as mine:
            assert mine
            raise RuntimeError("the job failed")
    async with second.running("tiers", timedelta(minutes=10)) as theirs:
        assert theirs  # another replica may try at once


async def test_a_job_step_runs_again_after_a_conflict_within_a_bound() -> None:
    calls = 0

    async def step() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise conflict()
        return "done"

    assert await retry_transient(step, "test") == "done" and calls == 3

    async def always() -> None:
        raise conflict()

    with pytest.raises(OperationFailure):
        await retry_transient(always, "test", attempts=4)


def app_with(endpoint_failures: int) -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    app.router.route_class = RetryingRoute
    install_common(app, ServiceMetrics("t"), 1024, _ready, service="t")
    calls: list[int] = []

    @app.post("/api/things")
    async def create(body: dict[str, int]) -> dict[str, int]:
        calls.append(body["n"])
        if len(calls) <= endpoint_failures:
            raise conflict()
        return {"created": body["n"]}

    return app, calls


async def _ready() -> dict[str, str]:
    return {}


async def test_an_endpoint_that_lost_a_write_conflict_runs_again_with_the_same_body() -> None:
    app, calls = app_with(endpoint_failures=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        response = await c.post("/api/things", json={"n": 7})
    assert response.status_code == 200 and response.json() == {"created": 7}
    assert calls == [7, 7, 7]


async def test_an_endpoint_that_keeps_conflicting_answers_503_not_500() -> None:
    app, calls = app_with(endpoint_failures=100)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app, raise_app_exceptions=False),
                                 base_url="http://t") as c:
        response = await c.post("/api/things", json={"n": 1})
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert len(calls) == ATTEMPTS  # the bound
