"""Notify: SMS surveys and thank-yous with consent, quiet hours and throttling."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.settings import NotifySettings
from shared.service import ServiceRuntime, create_http_app


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(settings)
    return create_http_app(runtime, "crm notify", "SMS surveys, thank-yous and answers.")
