"""SMS routes: the provider's webhook for replies, and the outbox gateway's messages."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request, status

from services.notify.api.schemas import InboundSms
from services.notify.domain import Policy
from services.notify.handlers import replies
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared.auth import PersonalReads, Principal, Role, authenticate, bearer_token, require
from shared.clock import utc_now
from shared.phones import InvalidPhone, normalize_phone
from shared.service import ServiceRuntime

# Recipients' numbers and the texts sent to them: admins only.
OUTBOX_READERS = require(Role.ADMIN)


def sender_phone(raw: str, region: str | None) -> str | None:
    """The replying number as E.164, or None when it is no real number (then no
    recipient has it, and the reply is ignored)."""
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        return None


def inbound_caller(settings: NotifySettings) -> Callable[[Request], Awaitable[None]]:
    """The provider's webhook token (``CRM_SMS_INBOUND_TOKEN``) or the admin token."""
    webhook = settings.sms_inbound_token.get_secret_value() if settings.sms_inbound_token else ""

    async def check(request: Request) -> None:  # async: no thread-pool hop
        token = bearer_token(request)
        if webhook and hmac.compare_digest(token.encode(), webhook.encode()):
            return
        principal = (await authenticate(request, token)).principal  # 401 for a bad token
        if principal.role != Role.ADMIN:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "only the SMS provider's webhook (or an admin) may post replies")

    return check


def install(app: FastAPI, runtime: ServiceRuntime, repo: NotifyRepository,
            settings: NotifySettings, policy: Policy, sender: Sender) -> None:
    check_inbound = inbound_caller(settings)
    reads = PersonalReads(settings.personal_reads_per_minute)

    @app.post("/api/sms/inbound", tags=["sms"])
    async def inbound(body: InboundSms, request: Request) -> dict[str, str]:
        """A reply from a customer's phone, posted by the SMS provider's webhook.

        Answers ``{"action": answered|clarified|opted_out|opted_in|ignored}``; an unknown
        number is ``ignored`` like any other reply that leads nowhere.
        """
        await check_inbound(request)
        phone = sender_phone(body.sender, settings.default_region)
        async with runtime.command():
            result = await replies.on_inbound(repo, policy, phone, body.text, utc_now())
            await runtime.publish(result.events)
        if result.wake_sender:
            sender.wake()
        return {"action": result.action}

    @app.get("/api/outbox", tags=["sms"])
    async def outbox(principal: Principal = OUTBOX_READERS,
                     limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
        """Messages handed to the outbox gateway, newest first (admins only: they show
        recipients' numbers and texts), limited like every read of personal data."""
        reads.check(principal)
        rows = await repo.recent_outbound(limit)
        messages = [
            {"notification_id": row["_id"], "customer_id": row.get("customer_id"),
             "kind": row.get("kind"), "to": row["to"], "text": row["text"],
             "stored_at": row["stored_at"].isoformat()}
            for row in rows
        ]
        return {"gateway": settings.sms_gateway, "messages": messages}
