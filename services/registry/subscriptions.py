"""Registry's subscriptions, in one consumer group over all its topics.

A consumer group's first join takes about 5 s on the embedded broker, and FastStream starts
subscribers one after another: with one group per topic (``runtime.subscribe``), registry's
nine topics kept it from being ready for about 47 s. One group over the nine topics joins
once. Each record still takes shared's consume path for its own topic (validate, dedupe,
handle + processed record + outbox in one transaction); the batch's durable/publish/commit
is shared's ``Subscription.on_batch`` unchanged.

This belongs in ``shared/consumer.py`` (a multi-topic ``subscribe`` for every service); it
lives here until shared offers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy

from shared.consumer import Handler, Subscription
from shared.contracts import Event
from shared.service import ServiceRuntime


def _route(runtime: ServiceRuntime, event_type: type[Event], handler: Handler[Any]) -> Subscription:
    return Subscription(
        topic=event_type.topic, event_type=event_type, handler=handler,
        settings=runtime.settings, db=runtime.db, outbox=runtime.outbox,
        broker=runtime.broker, metrics=runtime.metrics,
    )


class CombinedSubscription(Subscription[Event]):
    """Several topics, one consumer group; each record is handled by its topic's route."""

    def __init__(self, runtime: ServiceRuntime, name: str,
                 handlers: Sequence[tuple[type[Event], Handler[Any]]]) -> None:
        routes = [_route(runtime, event_type, handler) for event_type, handler in handlers]
        self.routes = {route.topic: route for route in routes}
        super().__init__(
            topic=", ".join(self.routes), event_type=Event, handler=routes[0].handler,
            settings=runtime.settings, db=runtime.db, outbox=runtime.outbox,
            broker=runtime.broker, metrics=runtime.metrics,
        )
        settings = runtime.settings
        self.group_id = f"{settings.kafka_group_prefix}.{settings.service_name}.{name}"

    def register(self) -> None:
        subscriber = self.broker.subscriber(
            *self.routes,
            group_id=self.group_id,
            batch=True,
            max_records=self.settings.consumer_max_records,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            title=f"{self.settings.service_name}: {self.group_id}",
            description="; ".join(
                f"{route.topic}: {(route.event_type.__doc__ or '').strip()}"
                for route in self.routes.values()
            ),
        )
        subscriber(self.on_batch)

    async def consume(self, record: ConsumerRecord) -> None:
        await self.routes[record.topic].consume(record)


def subscribe_all(runtime: ServiceRuntime, name: str,
                  handlers: Sequence[tuple[type[Event], Handler[Any]]]) -> None:
    """Consume every ``(event type, handler)`` pair through one consumer group ``name``."""
    CombinedSubscription(runtime, name, handlers).register()
