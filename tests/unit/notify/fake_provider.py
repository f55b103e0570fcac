"""A real HTTP server on 127.0.0.1 that answers from a script, for the gateway tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: dict[str, object] = field(default_factory=lambda: {"id": "prov-1"})
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0  # wait this long before answering (longer than the client's timeout)


@dataclass
class Seen:
    headers: dict[str, str]
    body: dict[str, object]


class FakeProvider:
    """Answers the n-th request with ``script[n]`` (the last entry repeats)."""

    def __init__(self, *script: Reply) -> None:
        self.script = list(script) or [Reply()]
        self.requests: list[Seen] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/messages"

    async def __aenter__(self) -> FakeProvider:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._handlers:
            task.cancel()
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines if ln)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            reply = self.script[min(len(self.requests), len(self.script) - 1)]
            self.requests.append(Seen(headers, json.loads(body or b"{}")))
            if reply.hang_s:
                await asyncio.sleep(reply.hang_s)
            payload = json.dumps(reply.body).encode()
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            writer.write(
                f"HTTP/1.1 {reply.status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n{extra}\r\n".encode()
                + payload
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)
