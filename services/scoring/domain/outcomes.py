"""Outcomes: what really happened to a scored customer (fraud or legitimate), kept beside the
decision in force then, with the reason codes its signals fire under every rule (the
features a re-fit learns from, see ``evaluation.refit``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.decision import firing_codes
from shared.contracts.events import FraudOutcome
from shared.contracts.types import RiskBand

Outcome = Literal["fraud", "legitimate"]


@dataclass(frozen=True)
class RecordedOutcome:
    """An outcome to keep; the note stays in scoring, never published."""

    customer_id: str
    outcome: Outcome
    note: str | None
    recorded_by: str
    recorded_at: datetime
    score: int
    band: RiskBand
    model_version: str
    codes: list[str]

    def published(self) -> FraudOutcome:
        return FraudOutcome(customer_id=self.customer_id, outcome=self.outcome,
                            recorded_by=self.recorded_by, score=self.score, band=self.band,
                            model_version=self.model_version)


@dataclass(frozen=True)
class AlreadyRecorded:
    """The same outcome and note again: the one kept stays, nothing is published."""

    kept: dict[str, Any]


def record_outcome(decision: Mapping[str, Any], previous: dict[str, Any] | None,
                   outcome: Outcome, note: str | None, by: str, at: datetime,
                   config: ScoringConfig) -> RecordedOutcome | AlreadyRecorded:
    """The outcome to keep beside the stored ``decision``, unless the same outcome and note
    were recorded already (``previous``)."""
    if previous and (previous["outcome"], previous.get("note")) == (outcome, note):
        return AlreadyRecorded(previous)
    return RecordedOutcome(
        customer_id=decision["customer_id"], outcome=outcome, note=note, recorded_by=by,
        recorded_at=at, score=decision["score"], band=decision["band"],
        model_version=decision["model_version"],
        codes=firing_codes(decision["signals"], config))
