from collections.abc import AsyncIterator

import pytest

from tests.support.suite import Suite


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    """All four services with fault injection on, on their own broker."""
    running = Suite(tmp_path_factory.mktemp("faults"), env={"CRM_FAULTS_ENABLED": "true"})
    await running.start()
    yield running
    await running.stop()
