"""Deciding again: a stored decision, the behaviour facts now and any changed signals in;
the new decision out, or none when the facts behind the stored one did not change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.scoring.domain.behaviour import BehaviourProfile
from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.decision import ScoreDecision, Trigger, decide_from_signals
from services.scoring.domain.rescoring import behaviour_facts
from services.scoring.domain.signals import Signals
from shared.contracts import Event
from shared.contracts.types import RiskBand


@dataclass(frozen=True)
class Redecision:
    """A stored decision decided again because the facts behind it changed."""

    decision: ScoreDecision
    signals: Signals
    previous_band: RiskBand

    def published(self, customer_id: str, source_event_id: uuid.UUID,
                  trigger: Trigger) -> list[Event]:
        """The new score, published only when the band moved."""
        if self.decision.band == self.previous_band:
            return []
        return [self.decision.to_event(customer_id, Event.derived_id(source_event_id,
                                                                     "rescored"), trigger)]


def redecide(stored: Signals, band: RiskBand, profile: BehaviourProfile, config: ScoringConfig,
             changed_signals: Signals | None = None) -> Redecision | None:
    """The decision from the ``stored`` signals (of a decision in ``band``) with the changed
    ones replaced and the profile's behaviour facts; None when the signals are the same."""
    signals = {**stored, **(changed_signals or {})}
    facts = behaviour_facts(profile, config.rescoring)
    if facts or "behaviour" in signals:
        signals["behaviour"] = facts
    if signals == stored:
        return None
    return Redecision(decide_from_signals(signals, config), signals, band)
