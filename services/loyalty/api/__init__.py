"""Loyalty's HTTP API: ``install`` adds the routes, a module per subject."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.loyalty.api import accounts, cards, history, operations, redemptions, reports
from services.loyalty.api.context import Loyalty
from services.loyalty.handlers import privacy
from shared.privacy import Erasures, install_privacy

__all__ = ["Loyalty", "install"]


def install(app: FastAPI, loyalty: Loyalty, erasures: Erasures) -> None:
    """Add loyalty's routes to ``app`` (in this order: the API document lists them so)."""

    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(loyalty.repo, loyalty.audit, customer_id)

    install_privacy(app, "loyalty", erasures, holdings)
    cards.install(app, loyalty)
    redemptions.install(app, loyalty)
    accounts.install(app, loyalty)
    operations.install(app, loyalty)
    history.install(app, loyalty)
    reports.install(app, loyalty)
