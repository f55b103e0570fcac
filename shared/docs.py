"""`make docs`: the AsyncAPI document of the event contract and each service's OpenAPI.

    python -m shared.docs docs/api
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from shared.contracts import EVENT_BY_TOPIC, topics
from shared.contracts.topology import CONSUMERS, PRODUCERS

DLQ_HEADERS = {
    "type": "object",
    "properties": {
        "crm-dlq-reason": {"type": "string", "description": "Why it failed (no field values)."},
        "crm-dlq-kind": {"type": "string",
                         "enum": ["invalid", "too_large", "rejected", "handler_error"]},
        "crm-dlq-source-topic": {"type": "string"},
        "crm-dlq-source-partition": {"type": "string"},
        "crm-dlq-source-offset": {"type": "string"},
        "crm-dlq-consumer": {"type": "string", "description": "The service that failed."},
        "crm-dlq-failed-at": {"type": "string", "format": "date-time"},
    },
}


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_").replace("-", "_")


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic, model in EVENT_BY_TOPIC.items():
        name = model.__name__
        schema = model.model_json_schema(mode="serialization",
                                         ref_template="#/components/schemas/{model}")
        for nested, definition in schema.pop("$defs", {}).items():
            schemas[nested] = definition
        schemas[name] = schema
        messages[name] = {
            "name": name, "title": name, "contentType": "application/json",
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "bindings": {"kafka": {"key": {
                "type": "string",
                "description": f"The {model.key_field}: one customer's events stay in order."}}},
        }
        channel = _channel_id(topic)
        channels[channel] = {
            "address": topic,
            "description": f"Published by {', '.join(PRODUCERS[topic])}; consumed by "
                           f"{', '.join(CONSUMERS[topic]) or 'other systems'}.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        channels[channel + "_dlq"] = {
            "address": topics.dlq(topic),
            "description": "Records a consumer could not apply: the original bytes, key and "
                           "the reason and source offset in headers. Replay with `crm dlq "
                           "replay`.",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        }
        operations[f"publish_{channel}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{', '.join(PRODUCERS[topic])} publishes {name}",
        }
        if CONSUMERS[topic]:
            operations[f"consume_{channel}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{channel}"},
                "summary": f"consumed by {', '.join(CONSUMERS[topic])}",
            }
    messages["DeadLetter"] = {
        "name": "DeadLetter", "contentType": "application/octet-stream",
        "headers": DLQ_HEADERS, "payload": {"description": "The original message bytes."},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "crm customer classification suite: events", "version": "1.0.0",
            "description": (
                "Topics are `crm.<event>.v<major>`. The value is one UTF-8 JSON object, the "
                "key the customer id. Every event carries `event_id` (UUID, the idempotency "
                "key) and `occurred_at` (ISO 8601 UTC). Money is a decimal string. Consumers "
                "ignore unknown fields; adding an optional field keeps the version; a "
                "breaking change is a new `.v2` topic. An event that fails validation goes "
                "to `<topic>.dlq` with the error."),
        },
        "defaultContentType": "application/json",
        "servers": {"embedded": {"host": "127.0.0.1:9092", "protocol": "kafka",
                                 "description": "`make run` (Tansu)"}},
        "channels": channels, "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def openapi(service: str) -> dict[str, Any]:
    for role in ("OPERATOR", "ANALYST", "ADMIN"):  # the document does not depend on them
        os.environ[f"CRM_{role}_TOKEN"] = os.environ.get(f"CRM_{role}_TOKEN") or "docs"
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    return dict(module.create_app().openapi())


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/api")
    target.mkdir(parents=True, exist_ok=True)
    document = asyncapi()
    (target / "asyncapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False,
                                                         allow_unicode=True))
    print(f"wrote {target / 'asyncapi.yaml'} ({len(document['channels'])} channels)")
    for service in ("registry", "scoring", "loyalty", "notify"):
        path = target / f"openapi-{service}.json"
        path.write_text(json.dumps(openapi(service), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
