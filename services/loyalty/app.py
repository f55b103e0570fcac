"""Loyalty: points, value, tiers, referrals and lapse, wired to Kafka and HTTP.

``create_app`` builds the runtime, the repository, the subscriptions (``handlers``), the
jobs (``jobs.schedule``) and the routes (``api.install``); nothing else lives here.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.loyalty import api, handlers, jobs
from services.loyalty.business import LoyaltyMetrics
from services.loyalty.handlers import privacy
from services.loyalty.repository import LoyaltyRepository
from services.loyalty.settings import LoyaltySettings
from shared.audit import AuditTrail
from shared.auth import PersonalReads
from shared.clock import utc_now
from shared.contracts import (
    CustomerErased,
    CustomerRegistered,
    CustomerSegmented,
    CustomerThanked,
    CustomerUpdated,
    InteractionLogged,
    OperatorUpdated,
    PurchaseRecorded,
)
from shared.privacy import Erasures
from shared.service import ServiceRuntime, create_http_app


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    settings = settings or LoyaltySettings()
    rules = settings.earning_rules()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(LoyaltyMetrics(runtime.metrics.registry).observe)
    repo = LoyaltyRepository(runtime.db, rules.gold_percent, rules.silver_percent)
    erasures = Erasures(runtime.db)

    runtime.subscribe(CustomerRegistered,
                      lambda event: handlers.on_registered(repo, rules, event, utc_now()))
    runtime.subscribe(CustomerUpdated,
                      lambda event: handlers.on_updated(repo, rules, event, utc_now()))
    runtime.subscribe(CustomerSegmented, lambda event: handlers.on_segmented(repo, event))
    runtime.subscribe(InteractionLogged, lambda event: handlers.on_interaction(repo, event))
    runtime.subscribe(PurchaseRecorded,
                      lambda event: handlers.on_purchase(repo, rules, event, utc_now()),
                      reads=lambda events: {  # read at once per unit on MongoDB
                          "accounts": [event.customer_id for event in events],
                          "purchases": [event.purchase_id for event in events]})
    runtime.subscribe(CustomerThanked,
                      lambda event: handlers.on_thanked(repo, event, utc_now()))
    runtime.subscribe(OperatorUpdated, runtime.people.mirror)  # names, disabled people
    runtime.subscribe(CustomerErased, lambda event: privacy.on_erased(repo, erasures, event))

    scheduled = jobs.schedule(runtime, repo, rules, settings)
    app = create_http_app(runtime, "crm loyalty", "Points, value, tiers, referrals, lapse.",
                          on_start=scheduled.on_start)
    api.install(app, api.Loyalty(
        runtime=runtime, repo=repo, rules=rules, settings=settings,
        audit=AuditTrail(runtime.db), jobs=scheduled,
        reads=PersonalReads(settings.personal_reads_per_minute)), erasures)
    return app
