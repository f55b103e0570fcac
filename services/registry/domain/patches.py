"""What every PATCH body of the registry must say: something, and no null where a value is
required."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def require_a_change(data: Any, required: Collection[str] | None = None) -> Any:
    """A ``mode="before"`` model check: at least one field, and none of ``required`` (every
    field when None) set to null. Raises ValueError, which pydantic turns into a 422."""
    if isinstance(data, dict):
        if not data:
            raise ValueError("give at least one field to change")
        cleared = sorted(name for name, value in data.items()
                         if value is None and (required is None or name in required))
        if cleared:
            raise ValueError(f"these fields cannot be cleared: {', '.join(cleared)}")
    return data
