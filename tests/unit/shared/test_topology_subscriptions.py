"""The topology (who publishes and consumes what: ACLs, `crm lag`, the AsyncAPI document)
is what the services really do: a topic listed but not consumed would show as lag for ever,
and an event built but not listed would be refused by the broker's ACLs."""

import ast
import importlib
from pathlib import Path

import pytest

import shared.contracts.events as contract
from shared.contracts.events import Event
from shared.contracts.topology import CONSUMERS, PRODUCERS

SERVICES = ("registry", "scoring", "loyalty", "notify")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_consumes_exactly_the_topics_the_topology_gives_it(
    service: str, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    for role in ("OPERATOR", "ANALYST", "ADMIN"):
        monkeypatch.setenv(f"CRM_{role}_TOKEN", f"dev-{role.lower()}-token")
    app = importlib.import_module(f"services.{service}.app").create_app()
    subscribed = {route.topic for route in app.state.runtime._routes}
    listed = {topic for topic, services in CONSUMERS.items() if service in services}
    assert subscribed == listed


def _events_built_by(service: str) -> set[str]:
    """The topics of the events a service's code constructs (``CustomerScored(...)``)."""
    classes = {name: cls.topic for name, cls in vars(contract).items()
               if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event}
    built: set[str] = set()
    root = Path(__file__).parents[3] / "services" / service
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else \
                    node.func.attr if isinstance(node.func, ast.Attribute) else None
                if name in classes:
                    built.add(classes[name])
    return built


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_builds_exactly_the_events_the_topology_says_it_publishes(
        service: str) -> None:
    listed = {topic for topic, services in PRODUCERS.items() if service in services}
    assert _events_built_by(service) == listed
