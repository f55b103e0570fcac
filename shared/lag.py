"""A service's own consumer lag on its ``/metrics``: ``crm_consumer_lag{topic}``, the
messages its consumer group has not committed yet, summed over each topic's partitions.

Refreshed in the background every ``CRM_LAG_INTERVAL_S`` with the Kafka calls ``crm lag``
makes (``shared.cli.lag``): the end offsets and the group's committed offsets (OffsetFetch,
through a client that never joins the group, so it takes no partition from the consumers).
It runs beside the consume path and never waits on it. When the broker does not answer, the
last values stay and one warning is logged until it answers again; the service goes on.

Every replica of a service reads the same group, so each reports the whole group's lag:
take ``max()`` over replicas, never ``sum()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.broker import kafka_client_options
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)



async def topic_lag(reader: AIOKafkaConsumer, topic: str) -> int | None:
    """How many messages of ``topic`` the reader's group has not committed yet, over all
    partitions; None when the broker knows no partition of it."""
    partitions = [TopicPartition(topic, p)
                  for p in sorted(reader.partitions_for_topic(topic) or ())]
    if not partitions:
        return None
    ends = await reader.end_offsets(partitions)
    behind = 0
    for partition in partitions:
        committed = await reader.committed(partition)
        behind += max(0, ends[partition] - (committed or 0))
    return behind

class ConsumerLag:
    """The lag gauge of one consumer group, kept fresh by ``run``."""

    def __init__(self, settings: ServiceSettings, metrics: ServiceMetrics, group_id: str,
                 topics: Sequence[str]) -> None:
        self.settings = settings
        self.metrics = metrics
        self.group_id = group_id
        self.topics = sorted(set(topics))
        self._reader: AIOKafkaConsumer | None = None
        self._failing = False

    async def refresh(self) -> dict[str, int]:
        """Read the group's lag per topic once and set the gauge; raises when the broker
        does not answer (the gauge keeps its values)."""
        reader = await self._connected()
        await reader.topics()  # fresh metadata: partitions added since are counted
        lags: dict[str, int] = {}
        for topic in self.topics:
            behind = await topic_lag(reader, topic)
            if behind is not None:
                lags[topic] = behind
        for topic, behind in lags.items():
            self.metrics.consumer_lag.labels(topic=topic).set(behind)
        self.metrics.consumer_lag_refreshed.set(time.time())
        return lags

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Refresh every ``interval_s`` until ``stop``; a failure is logged once per outage."""
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(self.refresh(), timeout=max(5.0, interval_s))
                    if self._failing:
                        log.info("%s: consumer lag readable again", self.group_id)
                    self._failing = False
                except Exception as error:
                    if not self._failing:
                        log.warning("%s: consumer lag unreadable (%s); keeping the last "
                                    "values", self.group_id, type(error).__name__)
                    self._failing = True
                    await self._disconnect()  # a fresh client next time
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
        finally:
            await self._disconnect()

    async def _connected(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                group_id=self.group_id, enable_auto_commit=False,
                **kafka_client_options(self.settings))  # type: ignore[arg-type]
            try:
                await reader.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await reader.stop()
                raise
            self._reader = reader
        return self._reader

    async def _disconnect(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.stop()
