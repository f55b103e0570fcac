"""The SMS gateway port and its two adapters, the outbox and an HTTP provider, and the
choice between them (``make_gateway``)."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal, Protocol

import httpx

from services.notify.settings import NotifySettings
from shared.clock import utc_now

if TYPE_CHECKING:  # the repository keeps the outbox's messages (OutboundSms)
    from services.notify.repository import NotifyRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundSms:
    """One text to one number; ``notification_id`` is the idempotency key end to end."""

    notification_id: str
    to: str
    text: str


@dataclass(frozen=True)
class GatewayResult:
    """How a send ended. ``failed`` is final: the adapter has already retried what it could."""

    status: Literal["sent", "failed"]
    reason: str | None = None
    provider_message_id: str | None = None
    attempts: int = 1


class SmsGateway(Protocol):
    """Hands a message to whatever delivers SMS. Never raises for a provider's failure."""

    async def send(self, message: OutboundSms) -> GatewayResult: ...


OutboxStore = Callable[[OutboundSms], Awaitable[None]]


@dataclass
class OutboxGateway:
    """Keeps messages instead of sending them (the embedded mode, served at GET /api/outbox).

    ``store`` is called once per new message so the wiring can persist it; a message whose
    notification_id is already in the outbox is acknowledged and not kept twice.
    """

    store: OutboxStore | None = None
    messages: list[OutboundSms] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    async def send(self, message: OutboundSms) -> GatewayResult:
        if message.notification_id in self._seen:
            return GatewayResult("sent", reason="duplicate", attempts=0)
        if self.store is not None:
            try:
                await self.store(message)
            except Exception as error:  # the port promises a result, not an exception
                return GatewayResult("failed", reason=f"outbox store: {error!r}"[:200])
        self._seen.add(message.notification_id)
        self.messages.append(message)
        return GatewayResult("sent", provider_message_id=message.notification_id)


# Besides every 5xx: the provider asks us to come back later or timed out reading us.
RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass
class HttpSmsGateway:
    """POSTs ``{"to", "text", "reference"}`` as JSON to a provider's URL.

    Timeouts, connection errors, 5xx, 429 (and 408, 425) are retried up to ``max_retries``
    times with exponential backoff and full jitter (a ``Retry-After`` is honoured up to
    ``retry_after_cap`` seconds); any other 4xx fails at once. Every attempt carries the
    same ``Idempotency-Key``, so the provider can drop a retry of a message it already took.
    """

    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    timeout: float = 5.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 10.0
    retry_after_cap: float = 30.0
    client: httpx.AsyncClient | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: Callable[[], float] = random.random

    async def send(self, message: OutboundSms) -> GatewayResult:
        if self.client is not None:
            return await self._send(self.client, message)
        async with httpx.AsyncClient() as client:
            return await self._send(client, message)

    async def _send(self, client: httpx.AsyncClient, message: OutboundSms) -> GatewayResult:
        last_attempt = max(0, self.max_retries) + 1
        for attempt in range(1, last_attempt + 1):
            delay: float | None = None
            try:
                response = await client.post(
                    self.url,
                    json={
                        "to": message.to,
                        "text": message.text,
                        "reference": message.notification_id,
                    },
                    headers=self._headers(message),
                    timeout=self.timeout,
                )
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as error:
                reason = f"connection error: {type(error).__name__}"
            else:
                if response.is_success:
                    return GatewayResult(
                        "sent", provider_message_id=_message_id(response), attempts=attempt
                    )
                reason = f"http {response.status_code}"
                if response.status_code < 500 and response.status_code not in RETRYABLE_4XX:
                    return GatewayResult("failed", reason=reason, attempts=attempt)
                delay = _retry_after(response)
            if attempt == last_attempt:
                return GatewayResult(
                    "failed", reason=f"{reason} after {attempt} attempts", attempts=attempt
                )
            await self.sleep(self._backoff(attempt, delay))
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self, message: OutboundSms) -> dict[str, str]:
        headers = {"Idempotency-Key": message.notification_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.username is not None:
            pair = f"{self.username}:{self.password or ''}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        return headers

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling * self.jitter()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - utc_now()).total_seconds())


def _message_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        found = body.get("id") or body.get("message_id")
        return str(found) if found is not None else None
    return None


def make_gateway(settings: NotifySettings, repo: NotifyRepository) -> SmsGateway:
    """The HTTP provider, or the outbox (the embedded mode's: it sends nothing, so it is
    refused with a real Kafka or MongoDB unless a staging system opts in)."""
    problem = settings.outbox_problem()
    if problem is not None:
        raise SystemExit(f"notify: refusing to start: {problem}")
    if settings.sms_gateway == "http":
        assert settings.sms_http_url is not None  # missing_secrets() stops the start-up
        token = settings.sms_http_token.get_secret_value() if settings.sms_http_token else None
        return HttpSmsGateway(url=settings.sms_http_url, token=token,
                              timeout=settings.sms_http_timeout_s,
                              max_retries=settings.sms_http_retries)

    async def store(message: OutboundSms) -> None:
        await repo.store_outbound(message, utc_now())

    if not settings.on_this_machine:  # CRM_SMS_OUTBOX_OUTSIDE_EMBEDDED
        log.warning("notify: SMS are kept in the outbox, not sent (staging only)")
    return OutboxGateway(store=store)
