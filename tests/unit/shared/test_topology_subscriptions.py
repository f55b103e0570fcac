"""The topology (who consumes what: ACLs, `crm lag`, the AsyncAPI document) is what the
services really subscribe to: a topic listed but not consumed would show as lag for ever."""

import importlib

import pytest

from shared.contracts.topology import CONSUMERS

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
