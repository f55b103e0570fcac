"""Scoring: fraud score at registration and behavioural types, wired to Kafka and HTTP.
Nothing connects here; the runtime connects in the app's lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from services.scoring import api, jobs
from services.scoring.business import ScoringMetrics
from services.scoring.handlers import behaviour, privacy, registration
from services.scoring.repository import (
    ScoringRepository,
    profiles_and_scores_read,
    profiles_read,
)
from services.scoring.settings import LiveConfig, ScoringSettings
from shared.contracts import (
    CustomerErased,
    CustomerRegistered,
    CustomerUpdated,
    InteractionLogged,
    OperatorUpdated,
    PurchaseRecorded,
)
from shared.privacy import Erasures
from shared.service import ServiceRuntime, create_http_app


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(ScoringMetrics(runtime.metrics.registry).observe)
    repo = ScoringRepository(runtime.db)
    config = LiveConfig(settings.rules_path, settings.rules_check_interval_s)
    current = config.current

    runtime.subscribe(
        CustomerRegistered, lambda event: registration.on_registered(repo, current, event),
        reads=profiles_read)
    runtime.subscribe(
        InteractionLogged, lambda event: behaviour.on_interaction(repo, current, event),
        reads=profiles_and_scores_read)
    runtime.subscribe(
        PurchaseRecorded, lambda event: behaviour.on_purchase(repo, current, event),
        reads=profiles_and_scores_read)
    runtime.subscribe(
        CustomerUpdated, lambda event: behaviour.on_customer_updated(repo, current, event))
    runtime.subscribe(OperatorUpdated, runtime.people.mirror)  # names, disabled people
    erasures = Erasures(runtime.db)
    runtime.subscribe(CustomerErased, lambda event: privacy.on_erased(repo, erasures, event))
    jobs.schedule(runtime, config)

    app = create_http_app(runtime, "crm scoring", "Fraud score and behavioural types.")
    api.install(app, runtime, repo, current, erasures)
    return app
