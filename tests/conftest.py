"""What every kind of test may ask for: a MongoDB wire-protocol server.

Integration and fault modules choose the databases their suite runs on with a module-level
``DATABASES`` (default: the stand-in only); each module's ``suite`` fixture then runs once
per database, the test ids saying which (``[memory]``, ``[mongodb]``). A module with
``MONGODB_ON_REQUEST = True`` runs on a MongoDB server too when ``CRM_TEST_MONGODB=all``
(``make test-mongodb``): the whole matrix, longer than the default run's time budget.
"""

import os
from collections.abc import AsyncIterator

import pytest

from shared.runtime.mongo_server import MongoServer


@pytest.fixture(scope="module")
async def mongodb(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MongoServer]:
    """SecantusDB (a one-node replica set on WiredTiger) on a free loopback port, with its
    files on disk as production keeps them: one per module (about a second to start), so
    what one module's SIGKILLs leave behind on the server (transactions open until the
    server reaps them) cannot slow the next module's suite."""
    server = MongoServer(tmp_path_factory.mktemp("mongodb"))
    await server.start()
    yield server
    await server.stop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        databases = getattr(metafunc.module, "DATABASES", ("memory",))
        if (os.environ.get("CRM_TEST_MONGODB") == "all"
                and getattr(metafunc.module, "MONGODB_ON_REQUEST", False)):
            databases = ("memory", "mongodb")
        metafunc.parametrize("database", databases, scope="module")


@pytest.fixture(scope="module")
def mongodb_url(database: str, request: pytest.FixtureRequest) -> str | None:
    """The URL the module's suite runs on: None for the stand-in."""
    if database == "memory":
        return None
    server: MongoServer = request.getfixturevalue("mongodb")
    return server.url
