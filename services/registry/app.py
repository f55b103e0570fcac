"""Registry: registration, categories, the caller card and the operator panel, wired to
Kafka and HTTP. Nothing connects here; the runtime connects in the app's lifespan."""

from __future__ import annotations

import gc
import logging
from typing import Any

from fastapi import FastAPI

from services.registry import api, handlers, jobs
from services.registry.api.people import People
from services.registry.business import RegistryMetrics
from services.registry.handlers import search
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.contracts import CustomerRegistered, CustomerScored
from shared.privacy import forget_payment_card_numbers
from shared.service import ServiceRuntime, create_http_app

log = logging.getLogger("crm.registry")


def subscribe_card_updates(runtime: ServiceRuntime, repo: RegistryRepository) -> None:
    """Registrations from anywhere, and every event that changes a caller card."""
    runtime.subscribe(CustomerRegistered, lambda event: handlers.on_registered(repo, event))
    runtime.subscribe(CustomerScored, lambda event: handlers.on_scored(repo, event))
    for kind, update in handlers.CARD_UPDATES:
        runtime.subscribe(kind, _card_subscriber(repo, update))


def _card_subscriber(repo: RegistryRepository, update: Any) -> Any:
    return lambda event: handlers.update_card(repo, update, event)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    runtime = ServiceRuntime(settings)
    runtime.observe_committed(RegistryMetrics(runtime.metrics.registry).observe)
    repo = RegistryRepository(runtime.db)
    subscribe_card_updates(runtime, repo)
    people = People.from_settings(settings, runtime)

    async def prepare() -> None:
        async with runtime.command():
            await handlers.seed_default_categories(repo)
            await handlers.seed_default_sources(repo)
        await people.prepare(settings, runtime, repo)
        await repo.create_indexes()
        await forget_payment_card_numbers(runtime.db, "loyalty_cards",
                                          ["customers", "caller_cards"])
        indexed = await search.index_all(repo, runtime.command)
        if indexed:
            log.info("search keys built for %d customers", indexed)
        # The stand-in has replayed every customer and card into this process: hundreds of
        # thousands of long-lived objects that each full garbage collection would walk
        # again. Freezing them out of the collector halved a look-up at 100,000 customers.
        gc.collect()
        gc.freeze()

    app = create_http_app(
        runtime, "crm registry",
        "Registration, categories, caller cards, the operator panel and sign-in.",
        on_start=prepare, session_keys=people.keys,
    )
    api.install(app, runtime, repo, settings, people)
    jobs.schedule(runtime, repo, settings)
    return app
