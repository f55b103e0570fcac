"""The request bodies of scoring's HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain.outcomes import Outcome


class OutcomeRequest(BaseModel):
    """``POST /api/scores/{customer_id}/outcome``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Outcome = Field(description="fraud: it was; legitimate: it was not.")
    note: str | None = Field(default=None, max_length=500,
                             description="For colleagues (no personal data); kept in scoring, "
                                         "never published.")
