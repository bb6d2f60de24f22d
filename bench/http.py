"""A lean HTTP/1.1 keep-alive client for the benchmark's requests.

Why not httpx: in this environment httpx costs the client more than the simulator
takes to answer (httpcore tries ``import sniffio`` several times per request when
sniffio is absent, and its pool scans every connection for each request), so a
baseline measured with it would mostly measure the client. This client writes the
request and reads a Content-Length answer, nothing more; subject and baseline use it
alike. Only for our own loopback servers (uvicorn), which always send Content-Length.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

# Below uvicorn's 5 s keep-alive timeout, so a connection the server may be closing
# is never reused.
IDLE_EXPIRY_S = 2.0


class HttpError(RuntimeError):
    """An answer this client cannot read (no Content-Length, malformed head)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    target: str
    """Path and query, as sent on the request line."""

    @classmethod
    def of(cls, url: str, params: dict[str, str] | None = None) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"need http://host:port/..., got {url!r}")
        query = urlencode(params) if params else parts.query
        target = f"{parts.path or '/'}{'?' + query if query else ''}"
        return cls(parts.hostname, parts.port, target)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def close(self) -> None:
        self.writer.close()


@dataclass(slots=True)
class Http:
    """Keep-alive connections per (host, port); one request at a time on each."""

    _idle: dict[tuple[str, int], list[_Connection]] = field(default_factory=dict)

    async def get(self, endpoint: Endpoint, headers: dict[str, str]) -> Answer:
        return await self.request("GET", endpoint, headers, None)

    async def post_json(self, endpoint: Endpoint, headers: dict[str, str], body: Any) -> Answer:
        return await self.request("POST", endpoint, headers, json.dumps(body).encode())

    async def request(
        self, method: str, endpoint: Endpoint, headers: dict[str, str], body: bytes | None
    ) -> Answer:
        connection = await self._connection(endpoint)
        connection.writer.write(_head(method, endpoint, headers, body) + (body or b""))
        status, length, close = await _read_head(connection.reader)
        answer = Answer(status, await connection.reader.readexactly(length))
        if close:
            connection.close()
        else:
            connection.idle_since = time.monotonic()
            self._idle.setdefault((endpoint.host, endpoint.port), []).append(connection)
        return answer

    async def _connection(self, endpoint: Endpoint) -> _Connection:
        idle = self._idle.get((endpoint.host, endpoint.port), [])
        while idle:
            connection = idle.pop()
            if time.monotonic() - connection.idle_since < IDLE_EXPIRY_S:
                return connection
            connection.close()
        reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
        return _Connection(reader, writer)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


def _head(method: str, endpoint: Endpoint, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {endpoint.target} HTTP/1.1", f"Host: {endpoint.host}:{endpoint.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, Content-Length, whether the server closes the connection)."""
    status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError):
        raise HttpError(f"bad status line {status_line!r}") from None
    length: int | None = None
    close = False
    for line in lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value == "close"
    if length is None:
        raise HttpError(f"answer {status} has no Content-Length")
    return status, length, close
