"""The AsyncAPI document generated from the contracts is complete and self-consistent."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contracts import topics
from shared.docs import asyncapi, openapi


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def test_every_topic_and_its_dead_letter_twin_is_a_channel() -> None:
    addresses = {channel["address"] for channel in asyncapi()["channels"].values()}
    assert addresses == set(topics.all_with_dlq())


def test_every_reference_in_the_document_resolves() -> None:
    document = asyncapi()
    for ref in refs(document):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref


def test_payload_schemas_carry_the_idempotency_fields_and_money_as_strings() -> None:
    schemas = asyncapi()["components"]["schemas"]
    purchase = schemas["PurchaseRecorded"]
    assert {"event_id", "occurred_at", "purchase_id", "amount"} <= set(purchase["properties"])
    assert purchase["properties"]["amount"]["type"] == "string"


def test_the_committed_asyncapi_document_matches_the_contracts() -> None:
    committed = yaml.safe_load(Path("docs/api/asyncapi.yaml").read_text())
    assert committed == asyncapi(), "run `make docs` and commit docs/api/"


@pytest.mark.parametrize("service", ["registry", "scoring", "loyalty", "notify"])
def test_the_committed_openapi_documents_match_the_code(service: str) -> None:
    committed = json.loads(Path(f"docs/api/openapi-{service}.json").read_text())
    assert committed == openapi(service), "run `make docs` and commit docs/api/"
