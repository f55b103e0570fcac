from collections.abc import AsyncIterator

import pytest

from tests.support.suite import Suite


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    """The four services on their own broker, for the tests of one module."""
    running = Suite(tmp_path_factory.mktemp("suite"))
    await running.start()
    yield running
    await running.stop()
