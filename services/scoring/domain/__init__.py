"""The scoring service's pure rules: fraud score at registration and behavioural types.

No I/O beyond reading the service's own rule and word-list files; no framework imports.
"""

from services.scoring.domain.behaviour import (
    BehaviourProfile,
    apply_interaction,
    apply_purchase,
    classify,
    with_person_type,
)
from services.scoring.domain.config import (
    DEFAULT_RULES_PATH,
    REASON_CODES,
    ConfigError,
    ScoringConfig,
    load_config,
)
from services.scoring.domain.decision import (
    ScoreDecision,
    decide_from_signals,
    firing_codes,
    payment_policy_for,
    score_registration,
)
from services.scoring.domain.signals import (
    Signals,
    VelocityCounts,
    extract_signals,
    velocity_keys,
)
from services.scoring.domain.velocity import count_and_record, count_and_record_encoded

__all__ = [
    "DEFAULT_RULES_PATH",
    "REASON_CODES",
    "BehaviourProfile",
    "ConfigError",
    "ScoreDecision",
    "ScoringConfig",
    "Signals",
    "VelocityCounts",
    "apply_interaction",
    "apply_purchase",
    "classify",
    "count_and_record",
    "count_and_record_encoded",
    "decide_from_signals",
    "extract_signals",
    "firing_codes",
    "load_config",
    "payment_policy_for",
    "score_registration",
    "velocity_keys",
    "with_person_type",
]
