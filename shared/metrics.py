"""Prometheus metrics shared by the services. Labels never carry personal data:
topics, route templates, result kinds and reason codes only."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter(
            "crm_events_consumed_total",
            "Events taken from a topic, by result (processed, duplicate, dead_lettered, "
            "erased: about a customer erased here, dropped).",
            ["topic", "result"],
            registry=r,
        )
        self.handle_seconds = Histogram(
            "crm_event_handle_seconds",
            "Time to validate, handle and record one event.",
            ["topic"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
            registry=r,
        )
        self.retries = Counter(
            "crm_event_retries_total", "Handler attempts that failed and were retried.",
            ["topic", "kind"], registry=r,
        )
        self.dead_letters = Counter(
            "crm_dead_letters_total", "Events sent to a dead-letter topic, by reason kind.",
            ["topic", "reason"], registry=r,
        )
        self.published = Counter(
            "crm_events_published_total", "Events published from the outbox.", ["topic"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "crm_outbox_pending", "Events written but not yet confirmed by the broker.",
            registry=r,
        )
        self.http_requests = Counter(
            "crm_http_requests_total", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=r,
        )
        self.http_seconds = Histogram(
            "crm_http_request_seconds", "HTTP request latency by route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.consumer_lag = Gauge(
            "crm_consumer_lag",
            "Messages this service's consumer group has not committed yet, summed over the "
            "topic's partitions (refreshed every CRM_LAG_INTERVAL_S). Every replica reports "
            "the whole group's lag: take max() over replicas, never sum().",
            ["topic"], registry=r,
        )
        self.consumer_lag_refreshed = Gauge(
            "crm_consumer_lag_refreshed_timestamp_seconds",
            "When crm_consumer_lag was last read from the broker (Unix time; 0: never).",
            registry=r,
        )
        self.info = Gauge("crm_service_info", "Service identity.", ["service"], registry=r)
        self.info.labels(service=service).set(1)
