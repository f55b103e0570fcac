from collections.abc import AsyncIterator

import pytest

from tests.support.suite import Suite


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    """The four services on their own broker, for the tests of one module, on the
    stand-in or a MongoDB server (the module's ``DATABASES``)."""
    running = Suite(tmp_path_factory.mktemp("suite"), mongodb_url=mongodb_url)
    await running.start()
    yield running
    await running.stop()
