"""A merchant's webhook endpoint for the simulator tests: records what arrives, can
fail the next N calls, and can refuse a call it finds inauthentic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import serve


@dataclass
class Receiver:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    fail_next: int = 0
    calls: int = 0
    fail_status: int = 500
    """What the next ``fail_next`` calls are answered with."""

    async def handle(self, request: Request) -> Response:
        self.calls += 1
        raw = await request.body()
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response("boom", status_code=self.fail_status)
        refused = self.refuse(request, raw)
        if refused is not None:
            return refused
        self.received.append(json.loads(raw))
        self.queries.append(request.url.query)
        self.auth.append(request.headers.get("authorization"))
        return JSONResponse({"ok": True})

    def refuse(self, request: Request, raw: bytes) -> Response | None:
        """The answer to a call that must not be recorded; None to record it."""
        return None

    def clear(self) -> None:
        self.received.clear()
        self.queries.clear()
        self.auth.clear()
        self.fail_next = self.calls = 0


R = TypeVar("R", bound=Receiver)


@asynccontextmanager
async def listening(receiver: R, path: str, query: str = "") -> AsyncIterator[R]:
    """``receiver`` served on a free port at ``path``; its url gets ``?query`` if given."""
    app = Starlette(routes=[Route(path, receiver.handle, methods=["POST"])])
    async with serve(app) as url:
        receiver.url = f"{url}{path}" + (f"?{query}" if query else "")
        yield receiver
