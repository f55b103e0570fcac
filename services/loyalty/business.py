"""Loyalty's business metrics on ``/metrics``, counted from the events it commits
(``ServiceRuntime.observe_committed``): never from a handler's attempt, so a unit of work
applied again or a redelivered event counts once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from shared.contracts import (
    CustomerLapsed,
    Event,
    LoyaltyUpdated,
    PointsExpired,
    PointsRedeemed,
    TierChanged,
)


class LoyaltyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.issued = Counter(
            "crm_loyalty_points_issued_total",
            "Points added to balances: the positive points_delta of crm.loyalty.updated.v1 "
            "(purchases, referrals, thank-yous, points a refund gives back).",
            registry=registry,
        )
        self.redeemed = Counter(
            "crm_loyalty_points_redeemed_total", "Points spent (crm.points.redeemed.v1).",
            registry=registry,
        )
        self.expired = Counter(
            "crm_loyalty_points_expired_total", "Points expired (crm.points.expired.v1).",
            registry=registry,
        )
        self.tier_changes = Counter(
            "crm_loyalty_tier_changes_total", "Customers moved between tiers, by tier.",
            ["from_tier", "to_tier"], registry=registry,
        )
        self.lapsed = Counter(
            "crm_loyalty_customers_lapsed_total",
            "Customers found lapsed, by reason (no_purchase, no_contact; unknown from an "
            "older producer).",
            ["reason"], registry=registry,
        )

    def observe(self, event: Event) -> None:
        if isinstance(event, LoyaltyUpdated):
            if event.points_delta > 0:
                self.issued.inc(event.points_delta)
        elif isinstance(event, PointsRedeemed):
            self.redeemed.inc(event.points)
        elif isinstance(event, PointsExpired):
            self.expired.inc(event.points)
        elif isinstance(event, TierChanged):
            self.tier_changes.labels(from_tier=event.old_tier, to_tier=event.new_tier).inc()
        elif isinstance(event, CustomerLapsed):
            self.lapsed.labels(reason=event.reason or "unknown").inc()
