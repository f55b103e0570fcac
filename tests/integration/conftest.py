from collections.abc import AsyncIterator

import pytest

from tests.support.suite import Suite, isolated_prefix


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    """The four services on their own broker, for the tests of one module, on the
    stand-in or a MongoDB server (the module's ``DATABASES``)."""
    workdir = tmp_path_factory.mktemp("suite")
    running = Suite(workdir, mongodb_url=mongodb_url,
                    database_prefix=isolated_prefix(workdir))
    await running.start()
    yield running
    await running.stop()
