"""Trying again what MongoDB says to try again.

Two replicas of a service, or a consumer and an HTTP request of one, can write the same
document in overlapping transactions; MongoDB then aborts one of them with a write conflict
labelled ``TransientTransactionError``, meaning "run the whole transaction again". A commit
whose reply was lost is labelled ``UnknownTransactionCommitResult``: the commit itself may
be sent again (the adapter does, ``shared.database.mongo``).

- HTTP commands: every route of every service runs through ``RetryingRoute``, which calls
  the endpoint again (the same validated arguments) on a transient transaction error, a
  bounded number of times with jittered backoff; after that the answer is 503 with
  ``Retry-After`` (``shared.http``), never a 500.
- Periodic jobs: ``ServiceRuntime`` runs each job through ``retry_transient``.
- The consume path has its own policy (``shared.consumer``): it waits out an outage and
  dead-letters an event whose transient error outlives ``CRM_TRANSIENT_LIMIT_S``.

Retrying runs the endpoint's code again, so what it does outside its transaction happens
again too: endpoints keep to reads and pure computations there.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.routing import APIRoute

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_LABEL = "TransientTransactionError"
UNKNOWN_COMMIT_LABEL = "UnknownTransactionCommitResult"
#: Attempts of one HTTP command or job step, the first included; with the backoff below
#: they wait about 1.3 s in all on average (2.5 s at most) for the other writer to finish.
ATTEMPTS = 8
FIRST_BACKOFF_S = 0.02


def has_label(error: BaseException, label: str) -> bool:
    check = getattr(error, "has_error_label", None)
    return bool(check and check(label))


def is_transient_transaction_error(error: BaseException) -> bool:
    """The server asks for the whole transaction to be run again (a write conflict, a
    transaction interrupted by a primary's step-down or a network error)."""
    return has_label(error, TRANSIENT_LABEL)


def backoff_s(attempt: int, first_s: float = FIRST_BACKOFF_S) -> float:
    """Full jitter over an exponential step: replicas that collided do not collide again."""
    return random.uniform(0, first_s * 2 ** attempt)


async def retry_transient(operation: Callable[[], Awaitable[T]], what: str,
                          attempts: int = ATTEMPTS) -> T:
    """``operation()``, run again on a transient transaction error, ``attempts`` times at
    most; the last error is raised as it is."""
    for attempt in range(attempts):
        try:
            return await operation()
        except Exception as error:
            if not is_transient_transaction_error(error) or attempt + 1 >= attempts:
                raise
            log.info("%s: transient transaction error (%s), attempt %d of %d", what,
                     type(error).__name__, attempt + 1, attempts)
            await asyncio.sleep(backoff_s(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


class RetryingRoute(APIRoute):
    """A route whose endpoint runs again on a transient transaction error.

    Only the endpoint function is called again, with the arguments FastAPI already
    validated and resolved (the body, the signed-in principal): nothing is parsed twice.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            original = endpoint

            @functools.wraps(original)
            async def retried(*args: Any, **values: Any) -> Any:
                return await retry_transient(lambda: original(*args, **values),
                                             f"{','.join(kwargs.get('methods') or [])} {path}")

            endpoint = retried
        super().__init__(path, endpoint, **kwargs)
