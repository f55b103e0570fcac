"""A stored decision explained, and what an analyst (who reads no personal data) sees of it."""

from __future__ import annotations

from typing import Any

from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.decision import DECISION_FIELDS, decide_from_signals, decision_fields


def explain(stored: dict[str, Any], config: ScoringConfig) -> dict[str, Any]:
    """The stored decision beside a replay of its signals under the rules in force now."""
    replayed = decision_fields(decide_from_signals(stored["signals"], config))
    recorded = {key: stored.get(key) for key in DECISION_FIELDS}
    return {
        "customer_id": stored["customer_id"],
        "recorded": recorded,
        "replayed": replayed,
        "same_decision": _same_decision(recorded, replayed),
        "signals": stored["signals"],
    }


def without_names(answer: dict[str, Any]) -> dict[str, Any]:
    """A score or an explanation for someone who sees no personal data (an analyst).

    The famous or placeholder name a registration matched is, near enough, the customer's
    registered name: it leaves the signals and the reasons' details; the reason code and
    the name's category (politician, fictional…) stay, and so does the decision.
    """
    signals = answer.get("signals") or {}
    name = signals.get("famous_name")
    if not name:
        return answer
    redacted = {**answer, "signals": {k: v for k, v in signals.items() if k != "famous_name"}}
    if "reasons" in answer:  # a score
        redacted["reasons"] = _reasons_without(answer["reasons"], name)
    for decision in ("recorded", "replayed"):  # an explanation's two decisions
        if isinstance(answer.get(decision), dict):
            redacted[decision] = {**answer[decision], "reasons": _reasons_without(
                answer[decision].get("reasons"), name)}
    return redacted


def _reasons_without(reasons: list[dict[str, Any]] | None, name: str) -> list[dict[str, Any]]:
    def detail(text: str) -> str:
        return text.replace(f" ({name})", "").replace(name, "…")

    return [{**reason, "detail": detail(str(reason.get("detail", "")))}
            for reason in reasons or []]


def _same_decision(recorded: dict[str, Any], replayed: dict[str, Any]) -> bool:
    def codes(decision: dict[str, Any]) -> list[str]:
        return [reason["code"] for reason in decision["reasons"] or []]

    return codes(recorded) == codes(replayed) and all(
        recorded[key] == replayed[key] for key in ("score", "band", "payment_policy")
    )
