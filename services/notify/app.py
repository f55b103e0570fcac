"""Notify: SMS surveys and thank-yous with consent, quiet hours and throttling.

Wiring only: nine subscriptions, the sender and pending-expiry jobs (``jobs``), four
endpoints (``api``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from fastapi import FastAPI

from services.notify import api, handlers, jobs
from services.notify.business import NotifyMetrics
from services.notify.domain import Policy
from services.notify.handlers import privacy
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
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
from shared.privacy import Erasures, subject_of
from shared.service import ServiceRuntime, create_http_app

E = TypeVar("E", bound=Event)
UseCase = Callable[[NotifyRepository, Policy, E, datetime], Awaitable[Sequence[Event]]]


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(NotifyMetrics(runtime.metrics.registry).observe)
    repo = NotifyRepository(runtime.db)
    policy = settings.policy()
    sender = jobs.sender_for(runtime, settings, repo, policy)

    def on(event_type: type[E], use_case: UseCase[E]) -> None:
        async def handle(event: E) -> Sequence[Event]:
            derived = await use_case(repo, policy, event, utc_now())
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
    jobs.schedule(runtime, sender, repo, policy)

    app = create_http_app(runtime, "crm notify", "SMS surveys, thank-yous and answers.",
                          on_start=repo.create_indexes)
    api.install(app, runtime, repo, settings, policy, sender, erasures)
    return app
