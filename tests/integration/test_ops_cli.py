"""The `crm` ops tool against a running suite: inspect and replay a dead-letter topic, lag."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared import deadletters
from shared.contracts import topics
from tests.support.data import unique
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration
DLQ = topics.dlq(topics.CUSTOMER_REGISTERED)


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("ops"), services=["registry", "scoring"])
    await running.start()
    yield running
    await running.stop()


async def crm(suite: Suite, *args: str) -> tuple[str, str]:
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=suite.bootstrap)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


def registration(customer_id: str, phone: str) -> bytes:
    return json.dumps({
        "event_id": str(uuid.uuid4()), "occurred_at": "2026-11-23T09:15:00Z",
        "customer_id": customer_id, "full_name": "Ivan Sidorov", "phone": phone,
        "country": "RU", "person_type": "individual", "category": "ordinary",
        "entered_by": "self"}).encode()


async def dead_letter(suite: Suite, topic: str, value: bytes, key: str, kind: str,
                      partition: int, reason: str = "handler failed 5 times: incident") -> None:
    """Write a dead letter as a service would, into a chosen partition of ``topic``."""
    producer = AIOKafkaProducer(bootstrap_servers=suite.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode(), partition=partition,
                                     headers=[
            ("crm-dlq-kind", kind.encode()), ("crm-dlq-consumer", b"scoring"),
            ("crm-dlq-reason", reason.encode()),
            ("crm-dlq-source-topic", topic.removesuffix(".dlq").encode())])
    finally:
        await producer.stop()


async def test_a_dead_lettered_registration_is_replayed_once_after_a_fix(suite: Suite) -> None:
    # As if scoring had dead-lettered it during an incident, since fixed.
    customer_id = f"replayed-{uuid.uuid4().hex[:6]}"
    await suite.produce(topics.CUSTOMER_REGISTERED, b"{not json", b"x")
    bad = await suite.read(DLQ, until=lambda rs: len(rs) >= 2)  # registry's and scoring's
    # Ours in another partition: a filtered replay stops before the invalid ones it skips.
    await dead_letter(suite, DLQ, registration(customer_id, "+79003330011"), customer_id,
                      "handler_error", partition=1 if bad[0].partition == 0 else 0)
    await suite.read(DLQ, until=lambda rs: len(rs) >= 3)  # 2 copies of the bad one + ours

    listing, summary = await crm(suite, "dlq", "inspect", DLQ)
    entries = [json.loads(line) for line in listing.splitlines()]
    assert {e["kind"] for e in entries} == {"invalid", "handler_error"}
    assert all("value" not in e for e in entries)  # values only with --show-values
    assert "3 dead-lettered record(s)" in summary

    dry, _ = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error", "--dry-run")
    assert dry.count("would replay") == 1
    replayed, _ = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error")
    assert replayed.count("replaying") == 1

    scored = await suite.read(topics.CUSTOMER_SCORED, until=lambda rs: any(
        v["customer_id"] == customer_id for v in values(rs)))
    assert [v["customer_id"] for v in values(scored)].count(customer_id) == 1

    again, summary = await crm(suite, "dlq", "replay", DLQ, "--kind", "handler_error")
    assert "replaying" not in again
    assert "replayed 0 record(s)" in summary


async def test_consumer_lag_returns_to_zero(suite: Suite) -> None:
    for n in range(20):
        await suite.produce(topics.CUSTOMER_REGISTERED,
                            registration(f"lag-{n}", f"+7900444{n:04d}"), f"lag-{n}".encode())

    async def drained() -> bool:
        _, summary = await crm(suite, "lag")
        return "total lag 0" in summary

    await eventually(drained, timeout_s=30, interval_s=1, what="consumer lag to reach zero")


def event(**fields: object) -> tuple[str, bytes]:
    event_id = str(uuid.uuid4())
    return event_id, json.dumps({"event_id": event_id, "occurred_at": "2026-11-23T09:15:00Z",
                                 **fields}).encode()


def interaction(customer_id: str) -> tuple[str, bytes]:
    return event(interaction_id=f"i-{uuid.uuid4().hex[:8]}", customer_id=customer_id,
                 channel="call", outcome="info")


def purchase(customer_id: str) -> tuple[str, bytes]:
    return event(purchase_id=f"p-{uuid.uuid4().hex[:8]}", customer_id=customer_id,
                 amount="10.00", currency="RUB", discounted=False, payment_method="cash")


async def test_a_filtered_replay_leaves_what_it_skipped_for_a_later_replay(suite: Suite) -> None:
    dlq = topics.dlq(topics.INTERACTION_LOGGED)
    rejected_id, rejected = interaction("c-skipped")
    failed_id, failed = interaction("c-failed")
    # One partition, the rejected one first: a replay of handler errors must pass over it.
    await dead_letter(suite, dlq, rejected, "c-skipped", "rejected", partition=2)
    await dead_letter(suite, dlq, failed, "c-failed", "handler_error", partition=2)

    out, summary = await crm(suite, "dlq", "replay", dlq, "--kind", "handler_error")
    assert out.count("replaying") == 1
    assert "replayed 1 record(s), skipped 1 by filter" in summary
    assert "sends the 1 record(s) replayed after them again" in summary

    out, summary = await crm(suite, "dlq", "replay", dlq)
    assert out.count("replaying") == 2  # the skipped one, and the one behind it once more
    assert f"{dlq}[2]@" in out and "(rejected:" in out

    def sent(records: list[Any]) -> list[str]:
        return [v.get("event_id") for v in values(records)]

    replayed = await suite.read(topics.INTERACTION_LOGGED, until=lambda rs: (
        sent(rs).count(rejected_id) == 1 and sent(rs).count(failed_id) == 2))
    assert sent(replayed).count(rejected_id) == 1 and sent(replayed).count(failed_id) == 2

    _, summary = await crm(suite, "dlq", "replay", dlq)
    assert "replayed 0 record(s)" in summary


async def test_an_erased_customers_dead_letters_are_purged_and_the_others_kept(
    suite: Suite,
) -> None:
    erased = unique("erased-")
    purchases, referrals = topics.dlq(topics.PURCHASE_RECORDED), topics.dlq(
        topics.REFERRAL_CREDITED)
    kept = [purchase(unique("other-")) for _ in range(3)]
    theirs = [purchase(erased), purchase(erased)]
    # Partition 1 of the purchases: theirs (by key, then by the value only) between others.
    for (_, value), key in zip(
            [kept[0], theirs[0], kept[1], theirs[1], kept[2]],
            ["o1", erased, "o2", "someone-else", "o3"], strict=True):
        await dead_letter(suite, purchases, value, key, "handler_error", partition=1)
    # Referrals: thanked someone else for bringing the erased customer, and a broken record.
    _, thanks = event(referrer_id="c-referrer", referred_id=erased, bonus_points=50)
    await dead_letter(suite, referrals, thanks, "c-referrer", "rejected", partition=0)
    await dead_letter(suite, referrals, f'{{"referred_id": "{erased}", '.encode(),
                      "c-referrer", "invalid", partition=0, reason="message: json_invalid")
    await suite.read(referrals, until=lambda rs: len(rs) >= 2)
    # Everything in the purchases' topic was replayed before the erasure.
    out, _ = await crm(suite, "dlq", "replay", purchases)
    assert out.count("replaying") == 5

    dry, summary = await crm(suite, "dlq", "purge", "--customer", erased, "--dry-run",
                             "--topic", purchases, "--topic", referrals)
    assert f"{purchases}: would remove 2 record(s) from partition(s) 1, publishing 3 other(s)" \
        in dry
    assert f"{referrals}: would remove 2 record(s)" in dry
    assert "would remove 4 record(s)" in summary
    listing, _ = await crm(suite, "dlq", "inspect", purchases)
    assert len(listing.splitlines()) == 5  # a dry run changes nothing

    out, summary = await crm(suite, "dlq", "purge", "--customer", erased)
    lines = {line.split(":")[0]: line for line in out.splitlines()}
    assert set(lines) == set(deadletters.dead_letter_topics())
    assert "removed 2 record(s) from partition(s) 1; 3 other record(s) published again; " \
           "purge mark p1<5" in lines[purchases]
    assert "removed 2 record(s) from partition(s) 0; 0 other record(s)" in lines[referrals]
    assert ("the broker deleted the old records" in lines[purchases]
            or "the broker did not delete the old records" in lines[purchases])
    assert lines[topics.dlq(topics.CUSTOMER_UPDATED)].endswith("nothing of the customer")
    assert f"{purchases}: reading 5 record(s)" in summary  # progress, on stderr
    assert "removed 4 record(s)" in summary

    listing, _ = await crm(suite, "dlq", "inspect", purchases, "--show-values")
    entries = [json.loads(line) for line in listing.splitlines()]
    assert [e["event_id"] for e in entries] == [event_id for event_id, _ in kept]
    assert all(erased not in e["value"] for e in entries)
    listing, summary = await crm(suite, "dlq", "inspect", referrals, "--show-values")
    assert listing == "" and "0 dead-lettered record(s)" in summary
    # The kept records had been replayed: the purge carried the replay's position over.
    _, summary = await crm(suite, "dlq", "replay", purchases)
    assert "replayed 0 record(s)" in summary

    again, _ = await crm(suite, "dlq", "purge", "--customer", erased, "--topic", purchases,
                         "--topic", referrals)
    assert again.splitlines() == [f"{purchases}: nothing of the customer",
                                  f"{referrals}: nothing of the customer"]
