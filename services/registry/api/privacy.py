"""Erasure on request, and subject access (``/api/privacy/{id}``), for admins."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import FastAPI

from services.registry.api.schemas import ErasureRequest
from services.registry.handlers import privacy
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Admin
from shared.privacy import Erasures, install_privacy
from shared.service import ServiceRuntime

TAGS: list[str | Enum] = ["privacy"]


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            audit: AuditTrail) -> None:
    erasures = Erasures(runtime.db)

    @app.post(
        "/api/customers/{customer_id}/erasure", tags=TAGS, status_code=202,
        responses={404: {"description": "No such customer (or erased already)"}},
        summary="Erase a customer on their request; publishes crm.customer.erased.v1",
        description="Registry removes its copy before answering: from then on the caller "
                    "card and the customer answer 404. Scoring, loyalty and notify remove or "
                    "anonymise theirs when they consume the event (seconds); each keeps a "
                    "receipt, shown by `GET /api/privacy/{customer_id}` on each service and "
                    "collected by `crm privacy report`.")
    async def erase(customer_id: str, principal: Admin,
                    body: ErasureRequest | None = None) -> dict[str, Any]:
        async with runtime.command():
            done, event = await privacy.erase(repo, erasures, audit, customer_id, principal,
                                              body.reason if body else None)
            await runtime.publish([event])
        return {"customer_id": customer_id, "event_id": str(event.event_id),
                "erased_at": event.occurred_at.isoformat(), "registry": {
                    "removed": done.removed, "anonymised": done.anonymised},
                "pending": ["scoring", "loyalty", "notify"]}

    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, audit, customer_id)

    install_privacy(app, "registry", erasures, holdings)
