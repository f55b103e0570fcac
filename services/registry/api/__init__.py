"""Registry's HTTP API, one module per resource; ``install`` adds their routes to the app."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import (
    activity,
    analytics,
    callers,
    categories,
    customers,
    errors,
    loyalty,
    operators,
    panel,
    privacy,
    sessions,
    sources,
    telephony,
)
from services.registry.api.people import People
from services.registry.api.screens import Screens
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.service import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            settings: RegistrySettings, people: People) -> None:
    errors.install(app)
    # Routes go straight onto the app: shared.http names routes for the access log and the
    # metrics by walking app.router.routes, which FastAPI's lazily included routers hide.
    sessions.install(app, runtime, repo, people.passwords, people.keys, people.issuer,
                     people.throttle, settings.sign_ins_per_minute)
    screens = Screens.counted_in(runtime.metrics.registry)
    operators.install(app, runtime, repo, people.audit, people.passwords, screens)
    customers.install(app, runtime, repo, people.audit, settings)
    privacy.install(app, runtime, repo, people.audit)
    callers.install(app, repo, settings)
    categories.install(app, runtime, repo)
    sources.install(app, runtime, repo, people.audit)
    activity.install(app, runtime, repo)
    telephony.install(app, runtime, repo, settings, screens)
    loyalty.install(app, settings)
    analytics.install(app, settings)
    panel.install(app, settings)
