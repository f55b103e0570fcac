"""A service's own consumer lag gauge: refreshed in the background, and a broker that does
not answer keeps the last values, logs once per outage and never stops the service."""

import asyncio
import logging

import pytest

from shared.lag import ConsumerLag
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings


class Scripted(ConsumerLag):
    """Answers from a script: a dict of lags, or an exception; stops when it runs out."""

    def __init__(self, script: list[dict[str, int] | Exception], stop: asyncio.Event) -> None:
        super().__init__(ServiceSettings(service_name="test"), ServiceMetrics("test"),
                         "crm.test", ["crm.a.v1", "crm.b.v1"])
        self.script, self.stop = script, stop

    async def refresh(self) -> dict[str, int]:
        answer = self.script.pop(0)
        if not self.script:
            self.stop.set()
        if isinstance(answer, Exception):
            raise answer
        for topic, behind in answer.items():
            self.metrics.consumer_lag.labels(topic=topic).set(behind)
        return answer


def lag(metrics: ServiceMetrics, topic: str) -> float | None:
    return metrics.registry.get_sample_value("crm_consumer_lag", {"topic": topic})


async def test_an_unanswering_broker_keeps_the_last_values_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    reader = Scripted([{"crm.a.v1": 7, "crm.b.v1": 0}, OSError("down"), OSError("down"),
                       OSError("down")], stop)
    with caplog.at_level(logging.INFO, logger="shared.lag"):
        await reader.run(stop, interval_s=0.001)
    assert lag(reader.metrics, "crm.a.v1") == 7
    assert lag(reader.metrics, "crm.b.v1") == 0
    unreadable = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(unreadable) == 1


async def test_the_gauge_follows_the_broker_again_after_an_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    reader = Scripted([{"crm.a.v1": 7}, OSError("down"), {"crm.a.v1": 2}, OSError("down")],
                      stop)
    with caplog.at_level(logging.INFO, logger="shared.lag"):
        await reader.run(stop, interval_s=0.001)
    assert lag(reader.metrics, "crm.a.v1") == 2
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unreadable" in m for m in messages) == 2  # once per outage
    assert sum("readable again" in m for m in messages) == 1


async def test_no_broker_at_all_sets_nothing_and_the_task_runs_on_until_stopped() -> None:
    settings = ServiceSettings(service_name="test", kafka_bootstrap_servers="127.0.0.1:1")
    reader = ConsumerLag(settings, ServiceMetrics("test"), "crm.test", ["crm.a.v1"])
    stop = asyncio.Event()
    task = asyncio.create_task(reader.run(stop, interval_s=0.01))
    for _ in range(2000):
        if reader._failing:
            break
        await asyncio.sleep(0.01)
    assert reader._failing and not task.done()
    stop.set()
    await asyncio.wait_for(task, timeout=30)  # ends without raising
    assert lag(reader.metrics, "crm.a.v1") is None
    assert reader.metrics.registry.get_sample_value(
        "crm_consumer_lag_refreshed_timestamp_seconds") == 0
