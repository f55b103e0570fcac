from collections.abc import AsyncIterator

import pytest

from tests.support.suite import Suite, isolated_prefix


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    """All four services with fault injection on, on their own broker."""
    workdir = tmp_path_factory.mktemp("faults")
    running = Suite(workdir, env={"CRM_FAULTS_ENABLED": "true"},
                    mongodb_url=mongodb_url,
                    database_prefix=isolated_prefix(workdir))
    await running.start()
    yield running
    await running.stop()
