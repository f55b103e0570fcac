"""Evaluation harness: score a labelled synthetic population and report how well we do.

    python -m evaluation.scoring --seeds 1 2 3 --size 2000

Prints, per seed and averaged over the seeds: precision, recall and false-positive rate
when flagging at "medium or above" and at "high", what share of each band is fraud, and a
table per population kind (count, per band, flagged high and medium+): for a fraud kind
the flagged share is its recall, for a legitimate kind its false-positive rate; "precision"
of a fraud kind is the precision the flags would have if that kind were the only fraud
(its flagged registrations against every flagged legitimate one). Weights are not tuned to
a seed; read the spread between seeds before trusting a figure.

Then the outcomes recorded through a running suite's scoring API (``--outcomes-url``,
``CRM_ANALYST_TOKEN``): the same figures on what really happened, and re-fitted weights
proposed from them (from the synthetic populations while fewer than 30 are recorded or
one kind is missing), never applied (see ``refit``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.population import FRAUD_KINDS, LEGIT_KINDS, Labelled, PopulationGenerator
from evaluation.refit import (
    Sample,
    enough_to_fit,
    fetch_outcomes,
    outcome_lines,
    outcome_samples,
    refit_lines,
)
from services.scoring.domain import (
    DEFAULT_RULES_PATH,
    ScoringConfig,
    VelocityCounts,
    firing_codes,
    load_config,
    score_registration,
)
from services.scoring.domain.velocity import count_registration, limited_keys
from shared.contracts import CustomerRegistered
from shared.contracts.types import RiskBand

BANDS: tuple[RiskBand, ...] = ("low", "medium", "high")


@dataclass
class SeedResult:
    seed: int
    size: int
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0
    samples: Counter[Sample] = field(default_factory=Counter)  # what a re-fit learns from

    def _count(self, fraud: bool, bands: Sequence[str]) -> int:
        kinds = FRAUD_KINDS if fraud else LEGIT_KINDS
        return sum(self.confusion[k][b] for k in kinds for b in bands)

    def flagging(self, bands: Sequence[str]) -> dict[str, float]:
        """Precision, recall and FPR when every registration in `bands` is flagged."""
        tp, fp = self._count(True, bands), self._count(False, bands)
        fraud, legit = self._count(True, BANDS), self._count(False, BANDS)
        return {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / fraud if fraud else 0.0,
            "fpr": fp / legit if legit else 0.0,
        }

    def band_fraud_share(self, band: str) -> float:
        fraud, legit = self._count(True, [band]), self._count(False, [band])
        return fraud / (fraud + legit) if fraud + legit else 0.0

    def kind_recall(self, kind: str, bands: Sequence[str]) -> float:
        total = sum(self.confusion[kind].values())
        return sum(self.confusion[kind][b] for b in bands) / total if total else 0.0


class VelocityWindow:
    """The service's velocity lists (``count_registration``), kept in a dict."""

    def __init__(self, config: ScoringConfig) -> None:
        self.config = config
        self.lists: dict[tuple[str, str], str] = defaultdict(str)

    def count_and_add(self, registration: CustomerRegistered, at: float) -> VelocityCounts:
        keys = limited_keys(registration, self.config)
        counted = count_registration({kind: self.lists[(kind, value)]
                                      for kind, value in keys.items()},
                                     registration.customer_id, at, self.config)
        self.lists.update({(kind, keys[kind]): kept for kind, kept in counted.lists.items()})
        return counted.counts


def evaluate_seed(seed: int, size: int, config: ScoringConfig) -> SeedResult:
    started = time.perf_counter()
    population: list[Labelled] = PopulationGenerator(seed).population(size)
    window = VelocityWindow(config)
    result = SeedResult(seed=seed, size=len(population))
    for item in population:
        reg = item.registration
        counts = window.count_and_add(reg, item.at.timestamp())
        decision = score_registration(reg, counts, config)
        result.confusion[item.kind][decision.band] += 1
        fired = frozenset(firing_codes(decision.signals, config))
        result.samples[(fired, item.kind in FRAUD_KINDS)] += 1
    result.seconds = time.perf_counter() - started
    return result


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _summary_lines(results: Sequence[SeedResult]) -> list[str]:
    def mean(fn: Callable[[SeedResult], float]) -> float:
        return sum(fn(r) for r in results) / len(results)

    lines = ["flag at        precision  recall     FPR"]
    for label, bands in (("medium+", ("medium", "high")), ("high", ("high",))):
        p = mean(lambda r, b=bands: r.flagging(b)["precision"])  # type: ignore[misc]
        rc = mean(lambda r, b=bands: r.flagging(b)["recall"])  # type: ignore[misc]
        fpr = mean(lambda r, b=bands: r.flagging(b)["fpr"])  # type: ignore[misc]
        lines.append(f"  {label:<12} {_pct(p)}   {_pct(rc)}   {_pct(fpr)}")
    lines.append("fraud share per band: " + ", ".join(
        f"{band} {_pct(mean(lambda r, b=band: r.band_fraud_share(b)))}" for band in BANDS  # type: ignore[misc]
    ))  # fmt: skip
    return lines + _kind_table(results)


def _kind_table(results: Sequence[SeedResult]) -> list[str]:
    """Per population kind, counts summed over the results: n, per band, flagged shares.

    flagged = recall for a fraud kind, false-positive rate for a legitimate one; precision
    (fraud kinds) = that kind's flags / (its flags + every legitimate kind's flags).
    """
    def total(kind: str, bands: Sequence[str]) -> int:
        return sum(r.confusion[kind][b] for r in results for b in bands)

    flags = {label: bands for label, bands in (("high", ("high",)), ("med+", ("medium", "high")))}
    legit_flags = {label: sum(total(k, bands) for k in LEGIT_KINDS)
                   for label, bands in flags.items()}
    lines = [f"{'confusion per kind':<33}{'n':>6}" + "".join(f"{b:>7}" for b in BANDS)
             + "  flagged high | med+   precision high | med+"]
    for kind in LEGIT_KINDS + FRAUD_KINDS:
        fraud = kind in FRAUD_KINDS
        n = total(kind, BANDS)
        flagged = {label: total(kind, bands) for label, bands in flags.items()}
        shares = " | ".join(_pct(flagged[label] / n if n else 0.0) for label in flags)
        precision = " | ".join(
            _pct(flagged[label] / (flagged[label] + legit_flags[label]))
            if flagged[label] + legit_flags[label] else "    - "
            for label in flags
        ) if fraud else ""
        label = f"{'fraud' if fraud else 'legit'}:{kind}"
        cells = "".join(f"{total(kind, (b,)):>7}" for b in BANDS)
        lines.append(f"  {label:<31}{n:>6}{cells}  {shares:>19}   {precision}".rstrip())
    return lines


def evaluate(
    seeds: Sequence[int],
    size: int,
    config: ScoringConfig,
    progress: Callable[[str], None] | None = None,
) -> list[SeedResult]:
    """Score one population per seed; `progress` receives a line per finished seed."""
    results = []
    for seed in seeds:
        result = evaluate_seed(seed, size, config)
        results.append(result)
        if progress:
            progress(f"seed {seed}: {result.size} registrations scored in {result.seconds:.2f} s")
    return results


def report(results: Sequence[SeedResult], config: ScoringConfig) -> str:
    out = [f"model_version {config.model_version}"]
    for result in results:
        out.append(f"\n== seed {result.seed} (n={result.size})")
        out += _summary_lines([result])
    if len(results) > 1:
        seeds = ", ".join(str(r.seed) for r in results)
        out.append(f"\n== mean over seeds {seeds} (confusion summed)")
        out += _summary_lines(results)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES_PATH)
    parser.add_argument("--outcomes-url", default=os.environ.get(
        "CRM_SCORING_URL", "http://127.0.0.1:8001"),
        help="a running scoring service whose recorded outcomes to evaluate ('' for none)")
    args = parser.parse_args(argv)
    config = load_config(args.rules)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results = evaluate(args.seeds, args.size, config, progress)
    print(report(results, config))
    samples: Counter[Sample] = sum((r.samples for r in results), Counter())
    source = f"the synthetic populations of seeds {', '.join(str(s) for s in args.seeds)}"
    print()
    if args.outcomes_url:
        token = os.environ.get("CRM_ANALYST_TOKEN", "dev-analyst-token")
        try:
            recorded = fetch_outcomes(args.outcomes_url, token)
        except Exception as error:
            print(f"recorded outcomes: none read from {args.outcomes_url} "
                  f"({type(error).__name__}: is the suite running? CRM_ANALYST_TOKEN set?)")
        else:
            print("\n".join(outcome_lines(recorded, args.outcomes_url)))
            if enough_to_fit(outcome_samples(recorded)):
                samples = outcome_samples(recorded)
                source = f"{len(recorded)} recorded outcomes"
        print()
    print("\n".join(refit_lines(samples, config, source)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
