"""A lean WebSocket client for a thousand subscribers in one process.

Why not the ``websockets`` package: with a thousand connections in one event loop,
a client's per-frame cost delays every later receipt, and on two cores the client
competes with the servers for CPU. This client is an ``asyncio.Protocol``: it stamps
``time.perf_counter_ns()`` as soon as bytes arrive, splits them into frames
(servers never mask theirs), and hands text frames over without decoding them. It
answers pings (WebSocket and graphql-transport-ws) and masks what it sends, as
RFC 6455 requires of clients; it does not take fragmented or compressed frames
(it offers no extension, and uvicorn sends a text message as one frame).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

Receipt = Callable[[int, bytes], None]
"""Called with (perf_counter_ns at arrival, text frame payload)."""

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
_PROTOCOL_PING = b'"type":"ping"'


class WsError(RuntimeError):
    """The server refused the upgrade, closed, or sent what this client does not take."""


def _frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")
    return head + mask + masked


class WsClient(asyncio.Protocol):
    """One connection. Text frames go to ``on_text`` when set, else to ``receive()``."""

    def __init__(self, request: bytes) -> None:
        self.on_text: Receipt | None = None
        self._request = request
        self._buffer = bytearray()
        self._upgraded = False
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._inbox: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None

    # --- asyncio.Protocol -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        self._buffer += data
        if not self._upgraded and not self._upgrade():
            return
        buffer = self._buffer
        while len(buffer) >= 2:
            first, size = buffer[0], buffer[1] & 0x7F
            start = {126: 4, 127: 10}.get(size, 2)
            if len(buffer) < start:
                return
            if start > 2:
                size = int.from_bytes(buffer[2:start], "big")
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            if first & 0x80 == 0 or first & 0x70:
                self._fail(WsError("fragmented or compressed frame"))
                return
            self._frame(first & 0x0F, payload, now)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(WsError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    # --- frames -----------------------------------------------------------------------

    def _upgrade(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        if not head.startswith("HTTP/1.1 101"):
            self._fail(WsError(f"upgrade refused: {head.splitlines()[0]!r}"))
            return False
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _frame(self, opcode: int, payload: bytes, now: int) -> None:
        if opcode == TEXT:
            if _PROTOCOL_PING in payload and len(payload) < 64:
                self.send_json({"type": "pong"})
            elif self.on_text is not None:
                self.on_text(now, payload)
            else:
                self._inbox.append(payload)
                self._wake()
        elif opcode == PING:
            self._write(PONG, payload)
        elif opcode == CLOSE:
            self._write(CLOSE, payload[:2])
            if not self.closed.done():
                self.closed.set_result(None)
            self._wake()

    def _fail(self, error: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(error)
        if self._transport is not None:
            self._transport.close()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _write(self, opcode: int, payload: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_frame(opcode, payload))

    # --- API ----------------------------------------------------------------------------

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message).encode())

    def send_text(self, payload: bytes) -> None:
        """One text frame of UTF-8 ``payload``."""
        self._write(TEXT, payload)

    async def receive(self, wait_s: float = 10.0) -> dict[str, Any]:
        """The next text message (only while ``on_text`` is unset)."""
        async with asyncio.timeout(wait_s):
            while not self._inbox:
                if self.closed.done():
                    raise WsError("closed by the server")
                self._waiter = asyncio.get_running_loop().create_future()
                await self._waiter
        message: dict[str, Any] = json.loads(self._inbox.popleft())
        return message

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._write(CLOSE, (1000).to_bytes(2, "big"))
            self._transport.close()


async def connect(url: str, protocol: str | None = None) -> WsClient:
    """Open ``ws://host:port/path``; the upgrade done."""
    if not url.startswith("ws://"):
        raise ValueError(f"need ws://host:port/path, got {url!r}")
    host_port, _, path = url[len("ws://") :].partition("/")
    host, _, port = host_port.partition(":")
    lines = [
        f"GET /{path} HTTP/1.1",
        f"Host: {host_port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocol is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: WsClient(request), host, int(port))
    await asyncio.wait_for(client.opened, 10)
    return client
