"""No module under ``services/`` imports a dev-only dependency: the images install the
runtime dependencies only, and tools that need them (evaluation, synthetic populations)
live outside ``services/``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[3] / "services"
# The import names of pyproject.toml's ``dev`` extra (tools such as ruff aside).
DEV_ONLY = frozenset({"faker", "hypothesis", "pytest", "pytest_asyncio", "pytest_timeout",
                      "schemathesis", "playwright", "confluent_kafka", "secantusdb"})


def dev_imports(source: str) -> list[str]:
    """The dev-only top-level packages a module's source imports (anywhere in it)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name.split(".")[0].lower() in DEV_ONLY]
    return found


def test_no_service_module_imports_a_dev_only_dependency() -> None:
    offenders = {str(path.relative_to(SERVICES.parent)): dev_imports(path.read_text())
                 for path in sorted(SERVICES.rglob("*.py"))}
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("source", [
    "import faker", "from faker import Faker", "import hypothesis.strategies as st",
    "def f():\n    from pytest import approx\n", "from playwright.sync_api import Page",
])
def test_the_check_sees_an_import_of_a_dev_only_dependency(source: str) -> None:
    assert dev_imports(source)


def test_the_check_leaves_runtime_and_relative_imports_alone() -> None:
    assert dev_imports("import fastapi\nfrom . import faker\nfrom shared import clock") == []
