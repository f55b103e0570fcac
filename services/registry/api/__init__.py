"""Registry's HTTP API, one router per resource; ``install`` adds them to the app."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import activity, callers, categories, customers, errors, panel
from services.registry.repository import RegistryRepository
from services.registry.settings import RegistrySettings
from shared.service import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime, repo: RegistryRepository,
            settings: RegistrySettings) -> None:
    errors.install(app)
    app.include_router(customers.router(runtime, repo))
    app.include_router(callers.router(repo, settings))
    app.include_router(categories.router(runtime, repo))
    app.include_router(activity.router(runtime, repo))
    panel.install(app, settings)
