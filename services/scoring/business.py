"""Scoring's business metrics on ``/metrics``, counted from the events it commits
(``ServiceRuntime.observe_committed``): never from a handler's attempt."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from shared.contracts import CustomerScored, Event


class ScoringMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.scored = Counter(
            "crm_customers_scored_total",
            "Risk decisions published (crm.customer.scored.v1), by band and trigger "
            "(registration, behaviour, profile; unknown from an older producer).",
            ["band", "trigger"], registry=registry,
        )

    def observe(self, event: Event) -> None:
        if isinstance(event, CustomerScored):
            self.scored.labels(band=event.band, trigger=event.trigger or "unknown").inc()
