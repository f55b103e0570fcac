"""Registry's HTTP calls to the suite's other services, on behalf of a signed-in person.

The panel and the analyst view talk to registry's origin only; their redemptions go on to
loyalty and their reports to loyalty and notify (see ``api.loyalty`` and ``api.analytics``),
with the person's own token. Each call returns what came back, or that nothing did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.datastructures import QueryParams

REDEMPTION_TIMEOUT_S = 10.0
REPORT_TIMEOUT_S = 30.0  # a report over a long period reads many days
#: What of a report's answer is passed on: its body is JSON or a CSV download.
_PASSED_HEADERS = ("content-type", "content-disposition")


@dataclass(frozen=True)
class NoAnswer:
    """The service did not answer (or not in JSON where JSON was due); ``error`` names the
    kind of failure, for the log."""

    error: str


@dataclass(frozen=True)
class Redeemed:
    """Loyalty's answer to a redemption, as it came."""

    status_code: int
    payload: Any


@dataclass(frozen=True)
class Report:
    """A report's answer, with the headers that describe its body."""

    status_code: int
    content: bytes
    headers: dict[str, str]


async def redeem(url: str, body: dict[str, Any], authorization: str) -> Redeemed | NoAnswer:
    """Post a redemption to loyalty's ``url``."""
    headers = {"Authorization": authorization,
               "Content-Type": "application/json", "Accept": "application/json"}
    try:
        async with httpx.AsyncClient(timeout=REDEMPTION_TIMEOUT_S) as client:
            answer = await client.post(url, json=body, headers=headers)
        payload = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        return NoAnswer(type(error).__name__)
    return Redeemed(answer.status_code, payload)


async def report(url: str, params: QueryParams, authorization: str, accept: str
                 ) -> Report | NoAnswer:
    """Get a report from ``url`` with the caller's query string."""
    headers = {"Authorization": authorization, "Accept": accept}
    try:
        async with httpx.AsyncClient(timeout=REPORT_TIMEOUT_S) as client:
            answer = await client.get(url, params=params, headers=headers)
    except httpx.HTTPError as error:
        return NoAnswer(type(error).__name__)
    return Report(answer.status_code, answer.content,
                  {k: v for k, v in answer.headers.items() if k.lower() in _PASSED_HEADERS})
