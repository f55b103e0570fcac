"""``crm telephony asterisk``: Asterisk's ARI events, as registry's call webhook.

Listens on the ARI events websocket (``/ari/events?app=<app>&subscribeAll=true``: every
channel on the PBX, not only those in a Stasis application, so a plain dial plan with
``Dial()`` or ``Queue()`` works unchanged), turns the events into ``CallEvent``s with
``AriTranslator`` and posts each to ``POST /api/telephony/events`` with the telephony
token, in the order they happened. A dropped websocket is reconnected with a backoff
capped at ``max_reconnect_delay_s``; a post that meets a network error, a 5xx or a 429 is
tried a few times, then logged and skipped (the next event of the call still goes: the
webhook accepts a call that starts late). Logs name calls by id, event and extension,
never by number.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from services.registry.domain.calls import CallEvent
from services.registry.gateways.asterisk import OPERATOR_EXTENSIONS, AriTranslator
from shared.logs import configure_logging

log = logging.getLogger("crm.telephony.asterisk")
WEBHOOK = "/api/telephony/events"
_RETRYABLE = frozenset({408, 425, 429})  # with every 5xx: may pass if sent again


class Credentials(BaseSettings):
    """The secrets, from the environment or ``.env``: never on the command line, where any
    user of the machine can read them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    ari_user: str = Field("", validation_alias="CRM_ARI_USER")
    ari_password: SecretStr = Field(SecretStr(""), validation_alias="CRM_ARI_PASSWORD")
    telephony_token: SecretStr = Field(SecretStr(""), validation_alias="CRM_TELEPHONY_TOKEN")

    def missing(self) -> list[str]:
        values = {"CRM_ARI_USER": self.ari_user,
                  "CRM_ARI_PASSWORD": self.ari_password.get_secret_value(),
                  "CRM_TELEPHONY_TOKEN": self.telephony_token.get_secret_value()}
        return [name for name, value in values.items() if not value]


@dataclass(frozen=True)
class BridgeConfig:
    ari_url: str  # Asterisk's HTTP server, e.g. http://pbx:8088
    app: str
    registry_url: str
    credentials: Credentials
    post_attempts: int = 3
    retry_delay_s: float = 0.5
    reconnect_delay_s: float = 1.0
    max_reconnect_delay_s: float = 30.0
    outbox_size: int = 10_000  # call events waiting for registry


def events_url(ari_url: str, app: str) -> str:
    """``http://pbx:8088`` → ``ws://pbx:8088/ari/events?app=crm&subscribeAll=true``."""
    parts = urlsplit(ari_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix("/ari") + "/ari/events"
    query = urlencode({"app": app, "subscribeAll": "true"})
    return urlunsplit((scheme, parts.netloc, path, query, ""))


class AsteriskBridge:
    """One ARI connection at a time, feeding one translator: the translator's memory of the
    calls going on survives a reconnect.

    Reading and posting are two tasks joined by a queue of call events: Asterisk gives up
    on a websocket it cannot write to within ``websocket_write_timeout`` (100 ms by
    default), so the socket is read at once even while a post waits on registry."""

    def __init__(self, config: BridgeConfig, translator: AriTranslator | None = None) -> None:
        self.config = config
        self.translator = translator or AriTranslator()
        self.url = events_url(config.ari_url, config.app)
        self.connections = self.forwarded = self.failed = 0
        self._outbox: asyncio.Queue[CallEvent] = asyncio.Queue(config.outbox_size)

    async def run(self) -> None:
        """Until cancelled."""
        token = self.config.credentials.telephony_token.get_secret_value()
        http = httpx.AsyncClient(base_url=self.config.registry_url, timeout=5.0,
                                 headers={"Authorization": f"Bearer {token}"})
        async with http, asyncio.TaskGroup() as tasks:  # one failing stops both, loudly
            tasks.create_task(self._post_all(http))
            tasks.create_task(self._listen_forever())

    async def _listen_forever(self) -> None:
        delay = self.config.reconnect_delay_s
        while True:
            before = self.connections
            try:
                await self._listen()
                log.warning("ARI closed the events websocket")
            except (OSError, TimeoutError, WebSocketException) as error:
                log.warning("ARI events websocket at %s: %s", self.url,
                            str(error) or type(error).__name__)
            if self.connections > before:
                delay = self.config.reconnect_delay_s
            log.info("reconnecting to ARI in %.1f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.max_reconnect_delay_s)

    async def _listen(self) -> None:
        credentials = self.config.credentials
        basic = base64.b64encode(f"{credentials.ari_user}:"
                                 f"{credentials.ari_password.get_secret_value()}".encode())
        async with connect(self.url, additional_headers={"Authorization":
                                                         f"Basic {basic.decode()}"}) as socket:
            self.connections += 1
            log.info("connected to ARI at %s (%d forwarded so far)", self.url, self.forwarded)
            async for message in socket:
                try:
                    event = json.loads(message)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    for call_event in self.translator.feed(event):
                        self._queue(call_event)

    def _queue(self, event: CallEvent) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:  # registry has been away for long: keep the newest
            dropped = self._outbox.get_nowait()
            self._outbox.put_nowait(event)
            self.failed += 1
            log.error("call %s %s not forwarded: registry too far behind", dropped.call_id,
                      dropped.event)

    async def _post_all(self, http: httpx.AsyncClient) -> None:
        while True:
            await self.forward(http, await self._outbox.get())

    async def forward(self, http: httpx.AsyncClient, event: CallEvent) -> bool:
        """Post one call event; tried again after a network error, a 5xx or a 429, not after
        another 4xx (a wrong token or body does not get better by repeating it)."""
        body = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        named = f"call {event.call_id} {event.event}" + (f" on {event.extension}"
                                                         if event.extension else "")
        problem = ""
        for attempt in range(1, self.config.post_attempts + 1):
            try:
                response = await http.post(WEBHOOK, json=body)
            except httpx.HTTPError as error:
                problem = type(error).__name__
            else:
                if response.is_success:
                    self.forwarded += 1
                    log.info("%s forwarded (%d so far)", named, self.forwarded)
                    return True
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code not in _RETRYABLE:
                    break
            if attempt < self.config.post_attempts:
                await asyncio.sleep(self.config.retry_delay_s * attempt)
        self.failed += 1
        log.error("%s not forwarded: %s", named, problem)
        return False


def main(ari_url: str, app: str, registry_url: str, extensions: str | None = None) -> int:
    """The CLI's entry: credentials from the environment, then run until Ctrl-C."""
    credentials = Credentials()
    if credentials.missing():
        raise SystemExit(f"set {', '.join(credentials.missing())} (environment or .env)")
    try:
        translator = AriTranslator(re.compile(extensions) if extensions else
                                   OPERATOR_EXTENSIONS)
    except re.error as error:
        raise SystemExit(f"--extensions: {error}") from None
    configure_logging(os.environ.get("CRM_LOG_LEVEL", "INFO"))
    bridge = AsteriskBridge(BridgeConfig(ari_url, app, registry_url, credentials), translator)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is meant to stop
        asyncio.run(bridge.run())
    return 0
