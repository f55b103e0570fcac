"""Schemathesis fuzzes every service's HTTP API from its own OpenAPI document: whatever it
sends, no 5xx comes back, and the services keep serving."""

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.support.suite import TOKENS, Suite

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).with_name("st")


@pytest.mark.parametrize("service", ["registry", "scoring", "loyalty", "notify"])
@pytest.mark.parametrize("role", ["admin", "operator"])
async def test_fuzzing_the_http_api_gets_no_server_error(
    suite: Suite, service: str, role: str, tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{suite.url(service)}/openapi.json",
        "--checks", "not_a_server_error", "--max-examples", "30", "--seed", "7",
        "--request-timeout", "10", "--header", f"Authorization: Bearer {TOKENS[role]}",
        "--report", "junit", "--report-dir", str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=dict(os.environ, SCHEMATHESIS_HOOKS=""), cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    text = output.decode()
    assert process.returncode == 0, text[-4000:]
    generated = re.search(r"(\d+) generated", text)
    assert generated and int(generated.group(1)) > 0, text[-2000:]
    async with suite.client(service, role=None) as client:
        assert (await client.get("/ready")).status_code == 200
