"""Every service has the same rooms (docs/architecture.md, "One shape for every service"):
a newcomer who knows one knows where a schema, a rule, a use case and a query live in all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES_DIR = Path(__file__).parents[2] / "services"
SERVICES = ("registry", "scoring", "loyalty", "notify")

#: The Python rooms every service has, and those some have.
ROOMS = {"__init__.py", "__main__.py", "app.py", "settings.py", "business.py", "domain",
         "handlers", "repository.py", "api", "jobs.py"}
OPTIONAL_ROOMS = {"gateways"}
#: Data beside the code: the panel's files, configuration files, SMS templates, word lists.
DATA = {".yaml", ".txt"}
DATA_FOLDERS = {"registry": {"static"}, "notify": {"templates"}}
APP_MAX_LINES = 80


def _entries(service: str) -> set[str]:
    return {path.name for path in (SERVICES_DIR / service).iterdir()
            if path.name != "__pycache__"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_every_room(service: str) -> None:
    assert _entries(service) >= ROOMS
    for package in ("domain", "handlers", "api"):
        assert (SERVICES_DIR / service / package / "__init__.py").is_file()
    assert (SERVICES_DIR / service / "api" / "schemas.py").is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_nothing_at_its_top_but_rooms_and_data(service: str) -> None:
    others = {name for name in _entries(service) - ROOMS - OPTIONAL_ROOMS
              if Path(name).suffix not in DATA} - DATA_FOLDERS.get(service, set())
    assert others == set()


@pytest.mark.parametrize("service", SERVICES)
def test_app_py_is_wiring_only(service: str) -> None:
    source = (SERVICES_DIR / service / "app.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= APP_MAX_LINES
    tree = ast.parse(source)
    # No request bodies and no routes: they are in api/.
    classes = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    assert classes == []
    routes = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute)
              and node.attr in {"get", "post", "put", "patch", "delete"}
              and isinstance(node.value, ast.Name) and node.value.id == "app"]
    assert routes == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io_and_reads_no_clock(service: str) -> None:
    forbidden = {"fastapi", "pymongo", "httpx", "aiokafka", "faststream",
                 "shared.database", "shared.clock"}
    for path in (SERVICES_DIR / service / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in forbidden), \
                    f"{path.relative_to(SERVICES_DIR)} imports {name}"
                assert ".repository" not in name and ".handlers" not in name \
                    and ".api" not in name, f"{path.relative_to(SERVICES_DIR)} imports {name}"
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"} \
                    and isinstance(node.value, ast.Name) and node.value.id in {"datetime", "date"}:
                raise AssertionError(f"{path.relative_to(SERVICES_DIR)} reads the clock")
