"""The suite's one clock: aware UTC datetimes, the only kind the code passes around.

Use cases take ``now`` as an argument (tests pass a fixed moment); the edges, the API
routes and the jobs, read it here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utc_now() -> datetime:
    """This moment, aware, in UTC."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored datetime as aware UTC: MongoDB (and its stand-in) hand back naive UTC
    unless the client is told the zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
