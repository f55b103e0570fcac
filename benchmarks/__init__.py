"""Benchmarks: each module prints figures and asserts nothing about speed."""

import gc


def settle_load_generator() -> None:
    """Collect what filling a data directory left in this process, and freeze the rest.

    Building 100,000 documents here leaves garbage and long-lived objects that the next
    full collection walks: measured, a 0.3-0.5 s stall of the load generator in its first
    seconds of sending, which showed up as a server-side p99 (from scheduled times).
    """
    gc.collect()
    gc.freeze()
