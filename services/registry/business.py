"""Registry's business metrics on ``/metrics``, counted from the events it commits
(``ServiceRuntime.observe_committed``): a command retried after a conflict counts once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from shared.contracts import CustomerRegistered, Event, PurchaseRecorded


class RegistryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registrations = Counter(
            "crm_registrations_total",
            "Customers registered, by person_type (individual, company) and entered_by "
            "(operator, self).",
            ["person_type", "entered_by"], registry=registry,
        )
        self.purchases = Counter(
            "crm_purchases_recorded_total",
            "Purchases recorded, by kind: purchase, or refund (a negative amount).",
            ["kind"], registry=registry,
        )

    def observe(self, event: Event) -> None:
        if isinstance(event, CustomerRegistered):
            self.registrations.labels(person_type=event.person_type,
                                      entered_by=event.entered_by).inc()
        elif isinstance(event, PurchaseRecorded):
            self.purchases.labels(kind="refund" if event.amount < 0 else "purchase").inc()
