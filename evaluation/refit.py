"""Measuring the rules on recorded outcomes, and proposing re-fitted weights.

The proposal is a logistic regression over the reason codes (each a yes/no feature), fitted
by Newton's method with a light ridge penalty, so every weight stays one number per reason
that an analyst can read and argue with. Log-odds are turned into the rules' points on
the rules' own scale: a 50% chance of fraud lands on ``bands.high_from`` and a 10% chance
on ``bands.medium_from``, so ``points = (high_from - medium_from) / ln 9`` per unit of
log-odds. Nothing is applied: an admin copies what they agree with into ``rules.yaml``
(reloaded live) and bumps ``model_version``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from services.scoring.domain import ScoringConfig

Sample = tuple[frozenset[str], bool]  # the reason codes that fired, and whether it was fraud
MIN_OUTCOMES_TO_FIT = 30  # fewer recorded outcomes (or one class only): fit on synthetic ones


def flagging(rows: Iterable[tuple[str, bool]], bands: Sequence[str]) -> dict[str, float]:
    """Precision, recall and false-positive rate when every (band, fraud) in ``bands`` is
    flagged."""
    tp = fp = fraud = legit = 0
    for band, is_fraud in rows:
        flagged = band in bands
        fraud += is_fraud
        legit += not is_fraud
        tp += flagged and is_fraud
        fp += flagged and not is_fraud
    return {"precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / fraud if fraud else 0.0,
            "fpr": fp / legit if legit else 0.0}


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """``matrix · x = vector`` by Gaussian elimination with partial pivoting."""
    n = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        if abs(rows[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, n + 1):
                rows[r][c] -= factor * rows[col][c]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        if abs(rows[i][i]) < 1e-12:
            continue
        x[i] = (rows[i][n] - sum(rows[i][j] * x[j] for j in range(i + 1, n))) / rows[i][i]
    return x


def fit(samples: Counter[Sample], ridge: float = 1.0, iterations: int = 25
        ) -> tuple[float, dict[str, float]]:
    """Intercept and log-odds per reason code of a ridge logistic regression."""
    codes = sorted({code for codes, _ in samples for code in codes})
    patterns: dict[frozenset[str], list[int]] = {}
    for (fired, is_fraud), n in samples.items():
        counts = patterns.setdefault(fired, [0, 0])
        counts[0] += n
        counts[1] += n if is_fraud else 0
    rows = [([1.0] + [1.0 if code in fired else 0.0 for code in codes], n, positives)
            for fired, (n, positives) in patterns.items()]
    size = len(codes) + 1
    theta = [0.0] * size
    for _ in range(iterations):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for x, n, positives in rows:
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, sum(t * v for t, v in zip(theta, x,
                                                                                strict=True))))))
            for i in range(size):
                if x[i]:
                    gradient[i] += positives - n * p
                    for j in range(size):
                        if x[j]:
                            hessian[i][j] += n * p * (1 - p)
        for i in range(1, size):  # the intercept is not penalised
            gradient[i] -= ridge * theta[i]
            hessian[i][i] += ridge
        step = _solve(hessian, gradient)
        theta = [t + s for t, s in zip(theta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return theta[0], dict(zip(codes, theta[1:], strict=True))


def as_points(intercept: float, log_odds: dict[str, float], config: ScoringConfig
              ) -> tuple[int, dict[str, int]]:
    """The base score and the weights on the rules' scale (see the module's docstring)."""
    scale = (config.bands.high_from - config.bands.medium_from) / math.log(9)
    base = round(config.bands.high_from + scale * intercept)
    return base, {code: round(scale * value) for code, value in log_odds.items()}


def refit_lines(samples: Counter[Sample], config: ScoringConfig, source: str) -> list[str]:
    """The proposal as a table: each code's weight now and proposed, and how often it fired."""
    fired = Counter(code for (codes, _), n in samples.items() for code in codes for _ in range(n))
    base, weights = as_points(*fit(samples), config)
    lines = [f"proposed weights: logistic regression over the reason codes, fitted on {source}"
             " (not applied; copy what you agree with into rules.yaml and bump model_version)",
             f"  {'code':<34}{'now':>6}{'proposed':>10}{'fired':>8}",
             f"  {'base_score':<34}{config.base_score:>6}{base:>10}{'':>8}"]
    for code in sorted(weights, key=lambda c: -abs(weights[c])):
        lines.append(f"  {code:<34}{config.weight(code):>6}{weights[code]:>10}{fired[code]:>8}")
    return lines


def fetch_outcomes(url: str, token: str, timeout_s: float = 10) -> list[dict[str, Any]]:
    """Every recorded outcome from a running scoring service (``GET /api/scores/outcomes``)."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    with httpx.Client(base_url=url, timeout=timeout_s,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            answer = client.get("/api/scores/outcomes",
                                params={"limit": 1000, **({"after": after} if after else {})})
            answer.raise_for_status()
            page = answer.json()
            found += page["outcomes"]
            after = page["next"]
            if not after:
                return found


def outcome_lines(outcomes: Sequence[dict[str, Any]], source: str) -> list[str]:
    """Precision and recall of the decisions in force when the outcomes were recorded."""
    fraud = sum(row["outcome"] == "fraud" for row in outcomes)
    lines = [f"recorded outcomes from {source}: {len(outcomes)} "
             f"(fraud {fraud}, legitimate {len(outcomes) - fraud})"]
    if not outcomes:
        return [*lines, "  none yet: POST /api/scores/{customer_id}/outcome records one"]
    rows = [(row["band"], row["outcome"] == "fraud") for row in outcomes]
    lines.append("flag at        precision  recall     FPR")
    for label, bands in (("medium+", ("medium", "high")), ("high", ("high",))):
        figures = flagging(rows, bands)
        lines.append(f"  {label:<12} {100 * figures['precision']:5.1f}%   "
                     f"{100 * figures['recall']:5.1f}%   {100 * figures['fpr']:5.1f}%")
    versions = Counter(row["model_version"] for row in outcomes)
    lines.append("  decided by " + ", ".join(f"{v} ({n})" for v, n in versions.most_common()))
    return lines


def outcome_samples(outcomes: Iterable[dict[str, Any]]) -> Counter[Sample]:
    return Counter((frozenset(row["codes"]), row["outcome"] == "fraud") for row in outcomes)


def enough_to_fit(samples: Counter[Sample]) -> bool:
    classes = {is_fraud for _, is_fraud in samples}
    return sum(samples.values()) >= MIN_OUTCOMES_TO_FIT and classes == {True, False}
