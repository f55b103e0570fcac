"""Notify: SMS surveys and thank-yous with consent, quiet hours and throttling.

Wiring only: nine subscriptions, the sender and pending-expiry jobs, four endpoints.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import FastAPI, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.notify import handlers, jobs
from services.notify.business import NotifyMetrics
from services.notify.gateways.sms import make_gateway
from services.notify.handlers import privacy, replies
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared import exports
from shared.auth import PersonalReads, Principal, Role, authenticate, bearer_token, require
from shared.clock import utc_now
from shared.contracts import (
    CustomerErased,
    CustomerLapsed,
    CustomerRegistered,
    CustomerThanked,
    Event,
    InteractionLogged,
    OperatorUpdated,
    PointsExpiring,
    PurchaseRecorded,
    ReferralCredited,
    TierChanged,
)
from shared.exports import Format, From, To, period_of, suffix
from shared.leases import this_process
from shared.phones import InvalidPhone, normalize_phone
from shared.privacy import Erasures, install_privacy, subject_of
from shared.service import ServiceRuntime, create_http_app

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
UseCase = Callable[[NotifyRepository, handlers.Rules, E, datetime], Awaitable[Sequence[Event]]]

# Recipients' numbers and the texts sent to them: admins only.
OUTBOX_READERS = require(Role.ADMIN)
SUMMARY_READERS = require(Role.ANALYST, Role.ADMIN)


class InboundSms(BaseModel):
    """What the SMS provider's webhook posts for a reply."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    sender: str = Field(alias="from", min_length=3, max_length=40, examples=["+79001234567"])
    text: str = Field(max_length=1600, examples=["5 отлично"])


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


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(NotifyMetrics(runtime.metrics.registry).observe)
    repo = NotifyRepository(runtime.db)
    rules = handlers.Rules(policy=settings.policy(),
                           why_us_delay=timedelta(seconds=settings.why_us_delay_s),
                           pending_grace=timedelta(seconds=settings.pending_grace_s))
    # Replicas share a MongoDB database and claim what they send; the stand-in serves one
    # process (no leases either).
    claim_as = None if runtime.leases is None else this_process()
    sender = Sender(runtime.db, repo, make_gateway(settings, repo), rules, runtime.publish,
                    utc_now, send_attempts=settings.sms_send_attempts,
                    retry_after=timedelta(seconds=settings.sms_retry_after_s),
                    interval_s=settings.sms_sender_interval_s, people=runtime.people,
                    claim_as=claim_as, claim_lease=timedelta(seconds=settings.sms_claim_lease_s))

    def on(event_type: type[E], use_case: UseCase[E]) -> None:
        async def handle(event: E) -> Sequence[Event]:
            derived = await use_case(repo, rules, event, utc_now())
            sender.wake()  # it takes the due index under the lock, i.e. after this commit
            return derived

        # Who the messages go to, read at once per unit on MongoDB.
        runtime.subscribe(event_type, handle, reads=lambda events: {
            "recipients": [subject for event in events if (subject := subject_of(event))]})

    on(CustomerRegistered, handlers.on_registered)
    on(PurchaseRecorded, handlers.on_purchase)
    on(InteractionLogged, handlers.on_interaction)
    on(CustomerLapsed, handlers.on_lapsed)
    on(ReferralCredited, handlers.on_referral)
    on(TierChanged, handlers.on_tier_changed)
    on(PointsExpiring, handlers.on_points_expiring)
    on(CustomerThanked, handlers.on_thanked)

    runtime.subscribe(OperatorUpdated, runtime.people.mirror)  # names, disabled people
    erasures = Erasures(runtime.db)
    runtime.subscribe(CustomerErased, lambda event: privacy.on_erased(repo, erasures, event))
    jobs.schedule(runtime, sender, repo, rules)

    app = create_http_app(runtime, "crm notify", "SMS surveys, thank-yous and answers.",
                          on_start=repo.create_indexes)

    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, customer_id)

    install_privacy(app, "notify", erasures, holdings)
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
            result = await replies.on_inbound(repo, rules, phone, body.text, utc_now())
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

    @app.get("/api/surveys/summary", tags=["surveys"])
    async def summary(principal: Principal = SUMMARY_READERS, start: From = None,
                      end: To = None, format: Format = "json") -> Any:
        """Ratings per employee (with their names), response rates per kind, win-back
        reasons, why-us answers: for a period (days, UTC, both included) or all time; CSV
        (one row per employee) for a spreadsheet."""
        period = period_of(start, end)
        summary = replies.survey_summary(await repo.summary_rows(period))
        names = await runtime.people.names(row["employee_id"] for row in summary["employees"])
        for row in summary["employees"]:
            row["display_name"] = names.get(row["employee_id"])
        summary["period"] = period.as_json()
        if format == "csv":
            return exports.csv_response(
                f"survey-ratings{suffix(start, end)}.csv",
                ["employee_id", "employee", "responses", "average_rating"],
                [[row["employee_id"], row["display_name"], row["responses"],
                  row["average_rating"]] for row in summary["employees"]])
        return summary

    return app
