"""How the gateway's connections end: uvicorn's timeouts and limits from the settings,
and the WebSocket ``connection_init`` deadline for both protocols.

uvicorn closes a keep-alive connection left idle after a response
(``timeout_keep_alive``), but has no timeout for reading a request: a connection
that sends nothing, or half a request line, or headers (or a body) a byte at a
time, stays open for ever and holds its file descriptor. ``ReadTimedHttp`` gives
every request ``http_request_read_s`` to arrive whole, from the moment the
connection opens or the request starts, and bounds the request line and headers
(httptools, unlike h11, has no size limit of its own).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shipgraph import safe_json
from shipgraph.config import Settings
from shipgraph.observability import get_logger

log = get_logger("shipgraph.http.server")


def _refusal(status: bytes, text: str) -> bytes:
    body = text.encode()
    head = (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + body


_REQUEST_TIMEOUT = _refusal(b"408 Request Timeout", "request not received in time")
_HEADERS_TOO_LARGE = _refusal(b"431 Request Header Fields Too Large", "request headers too large")


class ReadTimedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for receiving each request."""

    read_timeout_s: float = 10.0
    max_header_bytes: int = 65_536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._header_bytes: int | None = 0
        """Bytes received of the current request's head; None once it is complete."""

    @classmethod
    def configured(cls, read_timeout_s: float, max_header_bytes: int) -> type[ReadTimedHttp]:
        attributes = {"read_timeout_s": read_timeout_s, "max_header_bytes": max_header_bytes}
        return type("ConfiguredReadTimedHttp", (cls,), attributes)

    # --- the deadline ------------------------------------------------------------

    def _start_reading(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.read_timeout_s, self._read_timed_out)

    def _stop_reading(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        log.info("request not received in time; connection closed", client=self.client)
        if self._header_bytes is not None:
            # Still reading a request line or headers: no response is under way.
            self.transport.write(_REQUEST_TIMEOUT)
        # Otherwise the app is waiting for the rest of a body (or has answered without
        # it): it sees a disconnect.
        self.transport.close()

    # --- uvicorn's hooks -----------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_reading()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_bytes is not None:
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._stop_reading()
                self.transport.write(_HEADERS_TOO_LARGE)
                self.transport.close()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_reading()

    def on_headers_complete(self) -> None:
        self._header_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_reading()
        self._header_bytes = 0
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # From here on the WebSocket protocol (and connection_init's wait) rules.
        self._stop_reading()
        super().handle_websocket_upgrade()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config / uvicorn.run keyword arguments for the gateway."""
    return {
        "http": ReadTimedHttp.configured(
            settings.http_request_read_s, settings.http_max_header_bytes
        ),
        "timeout_keep_alive": settings.http_keep_alive_s,
        "ws_max_size": settings.max_body_bytes,
    }


LEGACY_WS = "graphql-ws"


class LegacyInitDeadline:
    """The legacy graphql-ws protocol as strict as graphql-transport-ws: a socket
    that sends no ``connection_init`` within ``wait_s`` of being accepted is closed
    4408 (Strawberry times out only graphql-transport-ws, through its own setting)."""

    def __init__(self, app: ASGIApp, wait_s: float) -> None:
        self.app = app
        self.wait_s = wait_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        watch = _InitWatch(send, self.wait_s)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                watch.saw(message.get("text"))
            return message

        try:
            await self.app(scope, receiving, watch.send)
        finally:
            watch.stop()


class _InitWatch:
    def __init__(self, send: Send, wait_s: float) -> None:
        self._send = send
        self._wait_s = wait_s
        self._expiry: asyncio.Task[None] | None = None
        self._done = False
        """connection_init received, or the socket closed: nothing left to watch."""
        self._timed_out = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept" and message.get("subprotocol") == LEGACY_WS:
            self._expiry = asyncio.create_task(self._expire())
        elif kind == "websocket.close":
            if self._timed_out:
                return  # closed 4408 already; the protocol's own close comes too late
            self.stop()
        await self._send(message)

    def saw(self, text: str | None) -> None:
        if self._done or text is None:
            return
        try:
            message = safe_json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("type") == "connection_init":
            self.stop()

    def stop(self) -> None:
        self._done = True
        if self._expiry is not None and not self._expiry.done():
            self._expiry.cancel()

    async def _expire(self) -> None:
        await asyncio.sleep(self._wait_s)
        if self._done:
            return
        self._done = self._timed_out = True
        reason = "Connection initialisation timeout"
        await self._send({"type": "websocket.close", "code": 4408, "reason": reason})
