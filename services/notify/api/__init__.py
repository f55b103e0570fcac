"""Notify's HTTP API: ``install`` adds the routes to the app (subject access, the SMS
webhook and outbox, the survey summary), in the order the API document lists them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.notify.api import sms, surveys
from services.notify.domain import Policy
from services.notify.handlers import privacy
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared.privacy import Erasures, install_privacy
from shared.service import ServiceRuntime


def install(app: FastAPI, runtime: ServiceRuntime, repo: NotifyRepository,
            settings: NotifySettings, policy: Policy, sender: Sender, erasures: Erasures) -> None:
    async def holdings(customer_id: str) -> Any:
        return await privacy.holdings(repo, customer_id)

    install_privacy(app, "notify", erasures, holdings)
    sms.install(app, runtime, repo, settings, policy, sender)
    surveys.install(app, repo, runtime.people)
