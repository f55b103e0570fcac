"""Loyalty: points, value, tiers, referrals and lapse, wired to Kafka and HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from services.loyalty.settings import LoyaltySettings
from shared.service import ServiceRuntime, create_http_app


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    settings = settings or LoyaltySettings()
    runtime = ServiceRuntime(settings)
    return create_http_app(runtime, "crm loyalty", "Points, value, tiers, referrals, lapse.")
