"""Periods of the reports: from one UTC day to another, both included, either end open.
Every service's analytics endpoint takes ``?from=&to=`` as one of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

#: The longest period a report may ask for: ten years of days.
MAX_PERIOD_DAYS = 3660


class BadPeriod(ValueError):
    """A period that cannot be reported (422); the message says why."""


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (UTC); ``None`` is open-ended."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def of(cls, start: date | None, end: date | None) -> Period:
        if start is not None and end is not None:
            if end < start:
                raise BadPeriod(f"to ({end}) is before from ({start})")
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise BadPeriod(f"a period is at most {MAX_PERIOD_DAYS} days")
        return cls(start, end)

    def holds(self, day: str) -> bool:
        return ((self.start is None or day >= self.start.isoformat())
                and (self.end is None or day <= self.end.isoformat()))

    def as_json(self) -> dict[str, str | None]:
        return {"from": None if self.start is None else self.start.isoformat(),
                "to": None if self.end is None else self.end.isoformat()}


def day_of(moment: datetime) -> str:
    """The UTC day a moment falls on, as ``YYYY-MM-DD``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date().isoformat()
