"""Sliding-window velocity: how many other registrations shared a key shortly before.

One list of recent ``[customer_id, occurred_at_epoch_s]`` entries per key (an IP, a
card-holder name, an email domain) is enough: counting and adding are O(list), the list is
pruned to the window and capped, and nothing scans other keys. Times are the registrations'
own ``occurred_at``, never the wall clock, so a replay counts the same.
"""

from __future__ import annotations

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
