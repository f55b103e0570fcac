"""Each service's business metrics: which counters an event it commits moves, with labels
from bounded sets only (bands, tiers, kinds, statuses, reason codes; never ids or text)."""

from datetime import UTC, datetime
from decimal import Decimal

from prometheus_client import CollectorRegistry

from services.loyalty.business import LoyaltyMetrics
from services.notify.business import NotifyMetrics
from services.registry.business import RegistryMetrics
from services.scoring.business import ScoringMetrics
from shared.contracts import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerUpdated,
    LoyaltyUpdated,
    NotificationSent,
    PointsExpired,
    PointsRedeemed,
    PurchaseRecorded,
    SurveyAnswered,
    TierChanged,
)

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every counter sample that moved, by name and labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for metric in registry.collect() for sample in metric.samples
            if sample.name.endswith("_total") and sample.value}


def test_scoring_counts_decisions_by_band_and_trigger() -> None:
    registry = CollectorRegistry()
    metrics = ScoringMetrics(registry)
    for band, trigger in [("high", "registration"), ("high", "registration"),
                          ("low", "behaviour"), ("medium", None)]:
        metrics.observe(CustomerScored(customer_id="c-1", score=50, band=band,
                                       payment_policy="any", model_version="t",
                                       trigger=trigger))
    metrics.observe(CustomerUpdated(customer_id="c-1"))  # not a decision
    assert samples(registry) == {
        ("crm_customers_scored_total", (("band", "high"), ("trigger", "registration"))): 2,
        ("crm_customers_scored_total", (("band", "low"), ("trigger", "behaviour"))): 1,
        ("crm_customers_scored_total", (("band", "medium"), ("trigger", "unknown"))): 1,
    }


def test_registry_counts_registrations_and_purchases() -> None:
    registry = CollectorRegistry()
    metrics = RegistryMetrics(registry)
    metrics.observe(CustomerRegistered(
        customer_id="c-1", full_name="Anna Petrova", phone="+79001234567", country="RU",
        person_type="company", category="ordinary", entered_by="operator"))
    for amount in ("1250.00", "-1250.00", "10.00"):
        metrics.observe(PurchaseRecorded(purchase_id="p-1", customer_id="c-1",
                                         amount=Decimal(amount), currency="RUB",
                                         discounted=False, payment_method="card"))
    assert samples(registry) == {
        ("crm_registrations_total", (("entered_by", "operator"),
                                     ("person_type", "company"))): 1,
        ("crm_purchases_recorded_total", (("kind", "purchase"),)): 2,
        ("crm_purchases_recorded_total", (("kind", "refund"),)): 1,
    }


def updated(delta: int) -> LoyaltyUpdated:
    return LoyaltyUpdated(customer_id="c-1", points_delta=delta, points_balance=100,
                          value_month=Decimal("0"), value_year=Decimal("0"),
                          value_lifetime=Decimal("0"), tier="standard")


def test_loyalty_counts_points_tiers_and_lapses() -> None:
    registry = CollectorRegistry()
    metrics = LoyaltyMetrics(registry)
    for event in [
        updated(120), updated(30), updated(-40),  # a redemption's or expiry's own update
        PointsRedeemed(redemption_id="r-1", customer_id="c-1", points=40, points_balance=110),
        PointsExpired(customer_id="c-2", points=7, points_balance=0, expired_at=NOW),
        TierChanged(customer_id="c-1", old_tier="standard", new_tier="gold",
                    value_percentile=99),
        CustomerLapsed(customer_id="c-3", last_purchase_at=NOW, expected_interval_days=30,
                       days_since=90, reason="no_contact"),
        CustomerLapsed(customer_id="c-4", last_purchase_at=NOW, expected_interval_days=30,
                       days_since=90),
    ]:
        metrics.observe(event)
    assert samples(registry) == {
        ("crm_loyalty_points_issued_total", ()): 150,
        ("crm_loyalty_points_redeemed_total", ()): 40,
        ("crm_loyalty_points_expired_total", ()): 7,
        ("crm_loyalty_tier_changes_total", (("from_tier", "standard"), ("to_tier", "gold"))): 1,
        ("crm_loyalty_customers_lapsed_total", (("reason", "no_contact"),)): 1,
        ("crm_loyalty_customers_lapsed_total", (("reason", "unknown"),)): 1,
    }


def test_notify_counts_notifications_with_bounded_reasons_and_answers() -> None:
    registry = CollectorRegistry()
    metrics = NotifyMetrics(registry)
    for status, reason in [("sent", None), ("suppressed", "opted_out"),
                           ("suppressed", "something new from +79001234567"),
                           ("failed", "gateway error: 500 for +79001234567")]:
        metrics.observe(NotificationSent(notification_id="n-1", customer_id="c-1",
                                         kind="quality_survey", status=status, reason=reason))
    metrics.observe(SurveyAnswered(survey_id="n-1", customer_id="c-1", kind="quality_survey",
                                   rating=9, comment="Anna was great"))
    moved = samples(registry)
    assert moved == {
        ("crm_notifications_total", (("kind", "quality_survey"), ("reason", "none"),
                                     ("status", "sent"))): 1,
        ("crm_notifications_total", (("kind", "quality_survey"), ("reason", "opted_out"),
                                     ("status", "suppressed"))): 1,
        ("crm_notifications_total", (("kind", "quality_survey"), ("reason", "other"),
                                     ("status", "suppressed"))): 1,
        ("crm_notifications_total", (("kind", "quality_survey"), ("reason", "none"),
                                     ("status", "failed"))): 1,
        ("crm_survey_answers_total", (("kind", "quality_survey"),)): 1,
    }
