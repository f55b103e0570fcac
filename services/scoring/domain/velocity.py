"""Sliding-window velocity: how many other registrations shared a key shortly before.

One list of recent ``[customer_id, occurred_at_epoch_s]`` entries per key (an IP, a
card-holder name, an email domain) is enough: counting and adding are O(list), the list is
pruned to the window and capped, and nothing scans other keys. Times are the registrations'
own ``occurred_at``, never the wall clock, so a replay counts the same.

A list is stored as one string, ``"<customer_id>@<epoch_s> ..."`` oldest first (customer ids
contain neither character): see ``encode_entries``. ``count_and_record_encoded`` counts and
records on that string directly, the way ``count_and_record`` does on decoded entries;
``count_registration`` does it for each key of a registration that the configuration limits,
for the service (on the stored lists) and for the evaluation (on lists it keeps in memory).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.signals import VelocityCounts, velocity_keys
from shared.contracts import CustomerRegistered

Entry = list[str | float]  # [customer_id, occurred_at as epoch seconds]: BSON-friendly

# Counts saturate here; the reasons fire at limits far below it.
MAX_ENTRIES = 100


def count_and_record(
    entries: list[Entry], customer_id: str, at: float, window_seconds: int,
) -> tuple[int, list[Entry]]:
    """(earlier registrations of other customers within the window, the entries to keep).

    Recording is idempotent by customer id: a customer already listed is not added again,
    so a redelivered registration neither counts itself nor inflates the count for others.
    An earlier registration is one with ``at - window < occurred_at <= at``; entries that
    arrived late but happened after ``at`` are kept for later registrations, not counted.
    """
    count = sum(
        1 for cid, when in entries
        if cid != customer_id and at - window_seconds < float(when) <= at
    )
    kept = list(entries)
    if not any(cid == customer_id for cid, _ in kept):
        kept.append([customer_id, at])
    newest = max(float(when) for _, when in kept)
    kept = [entry for entry in kept if float(entry[1]) > newest - window_seconds]
    kept.sort(key=lambda entry: float(entry[1]))
    return count, kept[-MAX_ENTRIES:]


def encode_entries(entries: list[Entry]) -> str:
    return " ".join(f"{customer_id}@{float(at):.3f}" for customer_id, at in entries)


def decode_entries(encoded: str) -> list[Entry]:
    entries: list[Entry] = []
    for item in encoded.split():
        customer_id, _, at = item.rpartition("@")
        entries.append([customer_id, float(at)])
    return entries


def count_and_record_encoded(
    encoded: str, customer_id: str, at: float, window_seconds: int,
) -> tuple[int, str]:
    """``count_and_record`` on a stored list: the same count, and the string that encoding
    its entries to keep gives (for a list ``encode_entries`` wrote).

    A stored list is in time order (``count_and_record`` sorts it, an erasure only removes),
    so the window's edges are found by bisection, parsing only the entries looked at, and
    the entries kept keep their text: a busy key's list costs a split and a join, not a
    hundred float parses and formats per registration.
    """
    items = encoded.split()
    earliest = at - window_seconds
    up_to_now = bisect_right(items, at, key=_time)
    in_window = bisect_right(items, earliest, key=_time)
    count = up_to_now - in_window
    listed = _position(items, encoded, customer_id)
    if listed is not None and earliest < _time(items[listed]) <= at:
        count -= 1  # the customer's own earlier entry (a redelivery)
    # The new entry's own time, not its 3-decimal text, decides where it goes, as before.
    newest = _time(items[-1]) if items else at
    if listed is None:
        newest = max(newest, at)
    # In time order (the usual case) the newest is this one: the window is the kept part.
    first_kept = in_window if newest == at else bisect_right(
        items, newest - window_seconds, key=_time)
    if listed is None and at > newest - window_seconds:
        items.insert(up_to_now, f"{customer_id}@{float(at):.3f}")
    return count, " ".join(items[first_kept:][-MAX_ENTRIES:])


def _time(item: str) -> float:
    return float(item.rpartition("@")[2])


def _position(items: list[str], encoded: str, customer_id: str) -> int | None:
    if f" {customer_id}@" not in f" {encoded}":
        return None  # the usual case, answered without looking at each entry
    return next((i for i, item in enumerate(items) if item.rpartition("@")[0] == customer_id),
                None)


@dataclass(frozen=True)
class VelocityCount:
    """A registration counted in its velocity lists: the earlier registrations per key, and
    each list (by key kind) as it is to be kept with this registration recorded in it."""

    counts: VelocityCounts
    lists: dict[str, str]


def limited_keys(registration: CustomerRegistered, config: ScoringConfig) -> dict[str, str]:
    """The keys (kind -> value) a registration is counted under that the configuration
    limits, in ``velocity_keys``' order."""
    return {kind: value for kind, value in velocity_keys(registration).items()
            if kind in config.velocity}


def count_registration(
    lists: Mapping[str, str], customer_id: str, at: float, config: ScoringConfig,
) -> VelocityCount:
    """Count earlier registrations in each list (kind -> stored list, for ``limited_keys``)
    within that kind's window, and record this one (idempotent by customer)."""
    counts: dict[str, int] = {}
    kept: dict[str, str] = {}
    for kind, encoded in lists.items():
        window = config.velocity[kind].window_seconds  # type: ignore[index]  # a limited key
        counts[kind], kept[kind] = count_and_record_encoded(encoded, customer_id, at, window)
    return VelocityCount(VelocityCounts(**counts), kept)
