"""Rate limits by key (a person, a client, an address)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import HTTPException, status

from shared.auth.principal import Principal


class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` sustained, bursts up to ``burst``."""

    def __init__(
        self, rate_per_minute: int, burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, rate_per_minute // 6))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and else the seconds to wait."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return True, 0.0
        self._buckets[key] = (tokens, now)
        return False, (1 - tokens) / self.rate if self.rate else 60.0


def too_many(message: str, wait_s: float) -> HTTPException:
    """429 with the whole seconds to wait in ``Retry-After``."""
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message,
                         headers={"Retry-After": str(max(1, math.ceil(wait_s)))})


class PerPersonLimit:
    """A limit per person or machine client (``Principal.actor``) on one kind of request,
    ``what`` in the 429's message ("too many <what> (limit N per minute)")."""

    def __init__(self, per_minute: int, what: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.what = what
        self.limiter = RateLimiter(per_minute, clock=clock)

    def check(self, principal: Principal) -> None:
        """Raise 429 with ``Retry-After`` once ``principal`` has used up its requests."""
        allowed, wait_s = self.limiter.allow(principal.actor)
        if not allowed:
            raise too_many(f"too many {self.what} (limit {self.per_minute} per minute); "
                           "try again shortly", wait_s)


class PersonalReads(PerPersonLimit):
    """The limit on reads that return customers' personal data (``CRM_PERSONAL_READS_PER_MINUTE``).

    One bucket per person or machine client (``Principal.actor``), shared by every such
    endpoint of a service: spreading a scrape over the customer, its history and its
    loyalty card gains nothing, and one operator cannot use up a colleague's reads.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(per_minute, "reads of customers' personal data", clock)
