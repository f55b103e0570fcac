"""Scoring's HTTP API; ``install`` adds its routes to the app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.scoring.api import scores
from services.scoring.handlers import privacy
from services.scoring.repository import ScoringRepository
from services.scoring.settings import CurrentConfig
from shared.privacy import Erasures, install_privacy
from shared.service import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime, repo: ScoringRepository,
            current_config: CurrentConfig, erasures: Erasures) -> None:
    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, customer_id)

    install_privacy(app, "scoring", erasures, holdings)
    scores.install(app, runtime, repo, current_config)
