"""`crm`: the ops tool. Inspect and replay dead-letter topics, watch consumer lag.

    crm dlq inspect crm.purchase.recorded.v1.dlq
    crm dlq replay crm.purchase.recorded.v1.dlq --dry-run
    crm dlq replay crm.purchase.recorded.v1.dlq --kind handler_error
    crm dlq purge --customer c-1f3a --dry-run
    crm lag
    crm keys list
    crm keys rotate
    crm telephony asterisk --ari-url http://pbx:8088 --app crm

A replay re-publishes each dead-lettered record's original bytes to its source topic. The
event keeps its event_id, so consumers that already applied it skip it. Replay progress is
a consumer group per DLQ topic: running the same replay twice sends nothing new. A
filtered replay (--kind, --consumer) leaves that position at the first record it skipped,
so a later replay still finds it; the records it did send after that one are sent again
then, and consumers skip them by event_id.

`crm dlq purge --customer ID` takes an erased customer's records out of the dead-letter
topics (shared.deadletters explains how, and what the embedded broker cannot do).

Registry signs people's session tokens with the newest key in CRM_AUTH_KEY_DIR (default
<CRM_DATA_DIR>/keys). `crm keys rotate` adds a new key there: registry signs with it within
seconds, the other services fetch it when they first see it, and tokens signed with the
old key keep working until they expire (the old key is deleted by a later rotation, once
it has been retired longer than --keep-minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from shared import deadletters, privacy_cli
from shared.auth.keys import SigningKeys
from shared.broker import kafka_client_options
from shared.consumer import without_values
from shared.contracts import topics
from shared.contracts.topology import CONSUMERS
from shared.deadletters import REPLAY_GROUP, headers_of
from shared.lag import topic_lag
from shared.settings import ServiceSettings


def _reason(headers: dict[str, str], show_values: bool) -> str:
    """The reason as written, or masked: records dead-lettered before reasons named fields
    only may still quote values."""
    reason = headers.get("crm-dlq-reason", "")
    return reason if show_values else without_values(reason)


def _summary(record: ConsumerRecord, show_values: bool) -> dict[str, Any]:
    headers = headers_of(record)
    entry: dict[str, Any] = {
        "partition": record.partition, "offset": record.offset,
        "kind": headers.get("crm-dlq-kind"), "consumer": headers.get("crm-dlq-consumer"),
        "reason": _reason(headers, show_values),
        "source": f"{headers.get('crm-dlq-source-topic')}"
                  f"[{headers.get('crm-dlq-source-partition')}]"
                  f"@{headers.get('crm-dlq-source-offset')}",
        "failed_at": headers.get("crm-dlq-failed-at"), "bytes": len(record.value or b""),
    }
    try:
        entry["event_id"] = json.loads(record.value or b"").get("event_id")
    except (ValueError, AttributeError):
        entry["event_id"] = None
    if show_values:  # may hold personal data: only on request
        entry["value"] = (record.value or b"").decode(errors="replace")
    return entry


async def _dead_letters(settings: ServiceSettings, consumer: AIOKafkaConsumer, topic: str,
                        from_committed: bool) -> tuple[deadletters.Spans, list[ConsumerRecord]]:
    """What a dead-letter topic holds after its purge marks (and, for a replay, after the
    consumer's committed position), per partition, and the records themselves."""
    try:
        partitions = deadletters.partitions_of(consumer, topic)
    except LookupError as error:
        raise SystemExit(str(error)) from None
    floors = await deadletters.purge_marks(settings, topic, partitions)
    if from_committed:
        for partition in partitions:
            floors[partition] = max(floors[partition], await consumer.committed(partition) or 0)
    wanted = await deadletters.spans(consumer, partitions, floors)
    return wanted, [record async for record in deadletters.records(consumer, wanted)]


async def inspect(settings: ServiceSettings, topic: str, limit: int, show: bool) -> int:
    async with deadletters.running(settings) as consumer:
        _, found = await _dead_letters(settings, consumer, topic, from_committed=False)
    for record in found[-limit:]:
        print(json.dumps(_summary(record, show), ensure_ascii=False))
    print(f"{len(found)} dead-lettered record(s) in {topic}", file=sys.stderr)
    return 0


def _wanted(headers: dict[str, str], kind: str | None, consumer_name: str | None) -> bool:
    return (kind is None or headers.get("crm-dlq-kind") == kind) and (
        consumer_name is None or headers.get("crm-dlq-consumer") == consumer_name)


async def replay(settings: ServiceSettings, topic: str, dry_run: bool, kind: str | None,
                 consumer_name: str | None) -> int:
    if not topic.endswith(".dlq"):
        raise SystemExit("replay reads a dead-letter topic (a name ending in .dlq)")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                **kafka_client_options(settings))
    sent = skipped = again = 0
    async with deadletters.running(settings, f"{REPLAY_GROUP}.{topic}") as consumer:
        await producer.start()
        try:
            wanted, found = await _dead_letters(settings, consumer, topic, from_committed=True)
            # Per partition, the replay moves to the end it read, or no further than the
            # first record it skipped: a later replay must still find that one.
            positions = {partition: span.stop for partition, span in wanted.items()}
            for record in found:
                partition = TopicPartition(record.topic, record.partition)
                headers = headers_of(record)
                if not _wanted(headers, kind, consumer_name):
                    skipped += 1
                    positions[partition] = min(positions[partition], record.offset)
                    continue
                if positions[partition] < record.offset:  # behind a skipped one
                    again += 1
                await _replay_one(producer, topic, record, headers, dry_run)
                sent += 1
            moved = {partition: OffsetAndMetadata(position, "")
                     for partition, position in positions.items()
                     if position > wanted[partition].start}
            if not dry_run and moved:
                await consumer.commit(moved)
        finally:
            await producer.stop()
    verb = "would replay" if dry_run else "replayed"
    print(f"{verb} {sent} record(s), skipped {skipped} by filter", file=sys.stderr)
    if skipped:
        print("the replay position stays at the first skipped record of each partition, so a "
              "later replay finds the skipped ones" + (
                  f"; it sends the {again} record(s) replayed after them again, and consumers "
                  "skip those by event_id" if again else ""), file=sys.stderr)
    return 0


async def _replay_one(producer: AIOKafkaProducer, topic: str, record: ConsumerRecord,
                      headers: dict[str, str], dry_run: bool) -> None:
    source = headers.get("crm-dlq-source-topic") or topic.removesuffix(".dlq")
    origin = f"{topic}[{record.partition}]@{record.offset}"
    print(("would replay " if dry_run else "replaying ") + f"{origin} -> {source} "
          f"({headers.get('crm-dlq-kind')}: {_reason(headers, False)[:80]})")
    if not dry_run:
        await producer.send_and_wait(source, record.value, key=record.key,
                                     headers=[("crm-replayed-from", origin.encode())])


async def purge(settings: ServiceSettings, customer_id: str, topic_names: list[str] | None,
                dry_run: bool) -> int:
    """Print what was (or would be) removed per topic: counts only, never a record."""
    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        results = await deadletters.purge_customer(settings, customer_id, dry_run, topic_names,
                                                   progress)
    except LookupError as error:
        raise SystemExit(str(error)) from None
    for result in results:
        print(result.describe(dry_run))
    removed = sum(result.removed for result in results)
    print(f"{'would remove' if dry_run else 'removed'} {removed} record(s) of the customer "
          f"from {len(results)} dead-letter topic(s)", file=sys.stderr)
    if any(result.removed and not result.deleted for result in results) and not dry_run:
        print("the broker kept the old records' bytes: the embedded broker (Tansu) does not "
              "implement DeleteRecords; Apache Kafka does, given the Delete operation on the "
              "dead-letter topics", file=sys.stderr)
    return 0


def consumed_by(service: str) -> list[str]:
    return [topic for topic, services in CONSUMERS.items() if service in services]


async def lag(settings: ServiceSettings) -> int:
    """Per service (consumer group ``<prefix>.<service>``) and topic: committed offset vs end.

    Committed offsets are read through a consumer of the group (OffsetFetch), which every
    Kafka-compatible broker serves; a partition never committed counts from its start.
    """
    options = kafka_client_options(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **options)
    await admin.start()
    try:
        groups = sorted(str(g[0]) for g in await admin.list_consumer_groups()
                        if str(g[0]).startswith(settings.kafka_group_prefix + "."))
    finally:
        await admin.close()
    total = 0
    for group in groups:
        service = group.removeprefix(settings.kafka_group_prefix + ".")
        reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                  group_id=group, enable_auto_commit=False, **options)
        await reader.start()
        try:
            for topic in consumed_by(service):
                behind = await topic_lag(reader, topic)
                if behind is None:
                    continue
                total += behind
                print(f"{group:24} {topic:40} lag {behind}")
        finally:
            await reader.stop()
    print(f"total lag {total}", file=sys.stderr)
    return 0


def keys(settings: ServiceSettings, action: str, keep_minutes: int) -> int:
    signing = SigningKeys(settings.key_dir())
    if action == "rotate":
        kid = signing.rotate(timedelta(minutes=keep_minutes))
        print(f"new signing key {kid} in {settings.key_dir()}")
    else:
        signing.refresh(force=True)
    for key in signing.jwks()["keys"]:
        print(key["kid"])
    return 0


def telephony(args: argparse.Namespace) -> int:
    """Run a PBX bridge. Imported on use, so that shared imports no service when it loads;
    it needs no Kafka or database settings (it often runs beside the PBX)."""
    from services.registry.gateways import bridge

    return bridge.main(args.ari_url, args.app, args.registry_url, args.extensions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dlq = commands.add_parser("dlq", help="dead-letter topics").add_subparsers(
        dest="action", required=True)
    show = dlq.add_parser("inspect", help="list dead-lettered records with their reasons")
    show.add_argument("topic", choices=[topics.dlq(t) for t in topics.ALL], metavar="TOPIC")
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--show-values", action="store_true",
                      help="print the records' bytes (may contain personal data)")
    again = dlq.add_parser("replay", help="re-publish dead-lettered records to their source")
    again.add_argument("topic", choices=[topics.dlq(t) for t in topics.ALL], metavar="TOPIC")
    again.add_argument("--dry-run", action="store_true", help="show what would be replayed")
    again.add_argument("--kind", choices=["invalid", "too_large", "rejected", "handler_error"])
    again.add_argument("--consumer", help="only records a given service dead-lettered")
    purging = dlq.add_parser("purge", help="take an erased customer's records out of the "
                                         "dead-letter topics (prints counts, never records)")
    purging.add_argument("--customer", required=True, metavar="CUSTOMER_ID")
    purging.add_argument("--topic", action="append", dest="topics", metavar="TOPIC",
                       choices=deadletters.dead_letter_topics(),
                       help="a dead-letter topic; repeat for several (default: all of them)")
    purging.add_argument("--dry-run", action="store_true", help="count, change nothing")
    commands.add_parser("lag", help="consumer lag per group and topic")
    key_commands = commands.add_parser("keys", help="the keys that sign session tokens")
    key_commands.add_argument("action", choices=["list", "rotate"])
    key_commands.add_argument(
        "--keep-minutes", type=int, default=60,
        help="delete keys retired longer ago than this (more than CRM_SESSION_MINUTES)")
    pbx = commands.add_parser(
        "telephony", help="feed a PBX's calls to registry's call webhook").add_subparsers(
        dest="pbx", required=True)
    asterisk = pbx.add_parser(
        "asterisk", help="from Asterisk's ARI events websocket; ARI user and password from "
                         "CRM_ARI_USER and CRM_ARI_PASSWORD, the webhook's token from "
                         "CRM_TELEPHONY_TOKEN")
    asterisk.add_argument("--ari-url", required=True,
                          help="Asterisk's HTTP server (http.conf), e.g. http://pbx:8088")
    asterisk.add_argument("--app", required=True, help="the ARI application to connect as")
    asterisk.add_argument("--registry-url", default="http://127.0.0.1:8000")
    asterisk.add_argument("--extensions", metavar="REGEX",
                          help="operators' extensions (default: 2 to 6 digits)")
    privacy_cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "telephony":
        return telephony(args)
    if args.command == "privacy":
        return privacy_cli.run(args)
    settings = ServiceSettings()
    if args.command == "lag":
        return asyncio.run(lag(settings))
    if args.command == "keys":
        return keys(settings, args.action, args.keep_minutes)
    if args.action == "inspect":
        return asyncio.run(inspect(settings, args.topic, args.limit, args.show_values))
    if args.action == "purge":
        return asyncio.run(purge(settings, args.customer, args.topics, args.dry_run))
    return asyncio.run(replay(settings, args.topic, args.dry_run, args.kind, args.consumer))


if __name__ == "__main__":
    sys.exit(main())
