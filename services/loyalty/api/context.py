"""What loyalty's routes work with, built once by ``app.create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from services.loyalty.domain import EarningRules
from services.loyalty.jobs import Jobs
from services.loyalty.repository import LoyaltyRepository
from services.loyalty.settings import LoyaltySettings
from shared.audit import AuditTrail
from shared.auth import PersonalReads
from shared.service import ServiceRuntime


@dataclass(frozen=True)
class Loyalty:
    """The runtime (transactions, publishing), the repository, the earning rules, the
    settings, the audit trail, the jobs and the bound on reads of personal data."""

    runtime: ServiceRuntime
    repo: LoyaltyRepository
    rules: EarningRules
    settings: LoyaltySettings
    audit: AuditTrail
    jobs: Jobs
    reads: PersonalReads
