"""The suite harness, for tests (it lives in shared.runtime so benchmarks use it too)."""

from shared.runtime.harness import (
    ALL_SERVICES,
    PASSWORD,
    TOKENS,
    EventStream,
    Suite,
    eventually,
    isolated_prefix,
    values,
)

__all__ = [
    "ALL_SERVICES",
    "PASSWORD",
    "TOKENS",
    "EventStream",
    "Suite",
    "eventually",
    "isolated_prefix",
    "values",
]
