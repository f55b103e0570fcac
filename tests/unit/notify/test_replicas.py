"""Two notify replicas' senders on one database: claims split the due messages."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest
from pymongo.errors import OperationFailure

from services.notify import handlers
from services.notify.gateways.sms import GatewayResult, OutboundSms
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from shared.contracts import Event
from tests.unit.notify.helpers import utc
from tests.unit.notify.wiring import Clock, Notify, purchase

NOON_MOSCOW = utc(2026, 11, 23, 9)  # 12:00 in Moscow
LEASE = timedelta(minutes=5)


class CountingGateway:
    """Counts what each replica hands over; yields so that concurrent rounds interleave."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.failing: set[str] = set()

    async def send(self, message: OutboundSms) -> GatewayResult:
        await asyncio.sleep(0)
        if message.notification_id in self.failing:
            return GatewayResult("failed", reason="http 503")
        self.sent[message.notification_id] += 1
        return GatewayResult("sent")


@pytest.fixture
def gateway() -> CountingGateway:
    return CountingGateway()


@pytest.fixture
def notify(gateway: CountingGateway) -> Notify:
    return Notify(Clock(NOON_MOSCOW), gateway=gateway)


def replica(notify: Notify, name: str, gateway: object, batch: int = 500,
            lease: timedelta = LEASE) -> Sender:
    """A sender of its own (its own mirror of ``due``) on the shared database."""
    async def publish(events: Sequence[Event]) -> None:
        notify.published.extend(events)

    return Sender(notify.db, NotifyRepository(notify.db), gateway, notify.policy,  # type: ignore[arg-type]
                  publish, notify.clock, batch=batch, claim_as=name, claim_lease=lease)


async def due_surveys(notify: Notify, count: int) -> list[str]:
    """``count`` customers' quality surveys, due now; their notification ids."""
    for n in range(count):
        await notify.register(f"c-{n}", f"+7495123{n:04d}")
        await notify.consume(handlers.on_purchase, purchase(f"c-{n}", f"p-{n}", notify.clock()))
    due = await notify.repo.due.find({"send_at": {"$lte": notify.clock()}}).to_list()
    return [row["_id"] for row in due]  # the why-us surveys wait an hour


async def drain(sender: Sender) -> None:
    while await sender.send_due():
        pass


async def test_two_replicas_sending_at_once_send_every_message_exactly_once(
        notify: Notify, gateway: CountingGateway) -> None:
    ids = await due_surveys(notify, 40)
    first, second = replica(notify, "a", gateway, batch=7), replica(notify, "b", gateway, batch=7)
    await asyncio.gather(drain(first), drain(second))
    assert gateway.sent == Counter(dict.fromkeys(ids, 1))
    assert sorted(event.notification_id for event in notify.sent()) == sorted(ids)
    assert not await notify.repo.due_documents(ids)


async def test_a_dead_replicas_claims_are_taken_over_once_they_expire(
        notify: Notify, gateway: CountingGateway) -> None:
    ids = await due_surveys(notify, 5)
    dead, alive = replica(notify, "dead", gateway), replica(notify, "alive", gateway)
    assert dead.claims is not None
    assert await dead.claims.claim(ids, notify.clock()) == ids  # then it dies
    await drain(alive)
    assert not gateway.sent
    notify.clock.advance(seconds=LEASE.total_seconds() + 60)  # expired; the mirror reloads
    await drain(alive)
    assert gateway.sent == Counter(dict.fromkeys(ids, 1))


async def test_a_failed_round_releases_its_claims_to_the_other_replica(
        notify: Notify, gateway: CountingGateway) -> None:
    ids = await due_surveys(notify, 3)
    failing, other = replica(notify, "a", gateway), replica(notify, "b", gateway)

    async def unreachable(events: Sequence[Event]) -> None:
        raise ConnectionError("database gone")

    failing.publish = unreachable
    with pytest.raises(ConnectionError):
        await failing.send_due()
    await drain(other)
    assert gateway.sent == Counter(dict.fromkeys(ids, 1))


async def test_a_message_to_try_again_waits_for_its_time_on_every_replica(
        notify: Notify, gateway: CountingGateway) -> None:
    [notification_id] = await due_surveys(notify, 1)
    gateway.failing.add(notification_id)
    first, second = replica(notify, "a", gateway), replica(notify, "b", gateway)
    await first.send_due()  # fails, rescheduled 30 s later
    gateway.failing.clear()
    notify.clock.advance(seconds=10)
    await drain(second)
    await drain(first)
    assert not gateway.sent
    notify.clock.advance(seconds=30)
    await drain(second)
    await drain(first)
    assert gateway.sent == Counter({notification_id: 1})


async def test_a_message_mirrored_before_its_due_document_is_written_is_sent_once_it_is(
        notify: Notify, gateway: CountingGateway) -> None:
    [notification_id] = await due_surveys(notify, 1)
    sender = replica(notify, "a", gateway)
    row = await notify.repo.due.find_one({"_id": notification_id})
    assert row is not None
    await sender.repo.reload_due()  # the mirror has it; the writer has not committed yet:
    await notify.repo.due.delete_one({"_id": notification_id})
    await drain(sender)
    assert not gateway.sent
    await notify.repo.due.insert_one(row)  # committed
    notify.clock.advance(seconds=1)
    await drain(sender)
    assert gateway.sent == Counter({notification_id: 1})


async def test_a_slow_round_keeps_its_claims_past_the_lease(notify: Notify) -> None:
    [notification_id] = await due_surveys(notify, 1)
    handed, answer = asyncio.Event(), asyncio.Event()
    counting = CountingGateway()

    class SlowGateway:
        async def send(self, message: OutboundSms) -> GatewayResult:
            handed.set()
            await answer.wait()
            return await counting.send(message)

    lease = timedelta(seconds=0.03)
    slow, other = replica(notify, "slow", SlowGateway(), lease=lease), \
        replica(notify, "other", counting, lease=lease)
    round_ = asyncio.create_task(slow.send_due())
    await handed.wait()
    notify.clock.advance(seconds=1)  # far past the first claim's end
    await asyncio.sleep(lease.total_seconds() * 2)  # renewed meanwhile
    await drain(other)
    answer.set()
    await round_
    assert counting.sent == Counter({notification_id: 1})


async def test_a_write_conflict_when_recording_records_again_without_sending_again(
        notify: Notify, gateway: CountingGateway) -> None:
    ids = await due_surveys(notify, 3)
    sender = replica(notify, "a", gateway)
    recorded = sender.publish
    conflicts = [OperationFailure("WriteConflict", 112,
                                  {"errorLabels": ["TransientTransactionError"]})]

    async def conflicting_once(events: Sequence[Event]) -> None:
        if events and conflicts:
            raise conflicts.pop()
        await recorded(events)

    sender.publish = conflicting_once
    await drain(sender)
    assert not conflicts
    assert gateway.sent == Counter(dict.fromkeys(ids, 1))
    assert sorted(event.notification_id for event in notify.sent()) == sorted(ids)


async def test_a_crash_while_recording_sends_one_slice_again_at_most(
        notify: Notify, gateway: CountingGateway) -> None:
    ids = await due_surveys(notify, 5)
    crashing = replica(notify, "a", gateway)
    crashing.concurrency = 2
    recorded = crashing.publish
    slices = 0

    async def crash_at_the_second_slice(events: Sequence[Event]) -> None:
        nonlocal slices
        if events:
            slices += 1
            if slices == 2:
                raise SystemExit("killed")
        await recorded(events)

    crashing.publish = crash_at_the_second_slice
    with pytest.raises(SystemExit):
        await crashing.send_due()
    assert len(notify.sent()) == 2 and sum(gateway.sent.values()) == 4
    await drain(replica(notify, "b", gateway))  # released (or expired), as a restart finds them
    assert sorted(event.notification_id for event in notify.sent()) == sorted(ids)
    assert sum(count - 1 for count in gateway.sent.values()) == 2


async def test_the_record_waits_out_a_long_run_of_write_conflicts(
        notify: Notify, gateway: CountingGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.notify.jobs.backoff_s", lambda attempt: 0.0)
    ids = await due_surveys(notify, 2)
    sender = replica(notify, "a", gateway)
    recorded = sender.publish
    conflicts = 20  # more than a generic retry's attempts

    async def conflicting(events: Sequence[Event]) -> None:
        nonlocal conflicts
        if events and conflicts:
            conflicts -= 1
            raise OperationFailure("WriteConflict", 112,
                                   {"errorLabels": ["TransientTransactionError"]})
        await recorded(events)

    sender.publish = conflicting
    await drain(sender)
    assert gateway.sent == Counter(dict.fromkeys(ids, 1))
    assert len(notify.sent()) == 2
