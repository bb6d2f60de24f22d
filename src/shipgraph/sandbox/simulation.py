"""What every simulator's state shares: auto-advance in the background, and a clean
stop of it and of the webhook sender (a mounted app's lifespan never runs, so the
app starts it on the first request and the parent app enters ``running()``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from shipgraph.sandbox.faults import ErrorBody, FaultInjector, FaultMiddleware
from shipgraph.sandbox.webhooks import WebhookSender


class Simulation:
    def __init__(self, auto_advance_s: float | None, sender: WebhookSender) -> None:
        self.auto_advance_s = auto_advance_s
        self._sender = sender
        self._ticker: asyncio.Task[None] | None = None

    async def advance_due(self, every_s: float, share: float) -> None:
        """Move what is due; ``share`` is the part of ``every_s`` one tick covers."""
        raise NotImplementedError

    def ensure_started(self) -> None:
        """Start auto-advance if configured (idempotent)."""
        if self.auto_advance_s is None:
            return
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._auto_advance(self.auto_advance_s))

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self._sender.aclose()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan; a parent app mounting this one may enter it from its own."""
        self.ensure_started()
        try:
            yield
        finally:
            await self.stop()

    async def _auto_advance(self, every_s: float) -> None:
        tick = min(max(every_s / 4, 0.01), 1.0)
        while True:
            await asyncio.sleep(tick)
            await self.advance_due(every_s, tick / every_s)


class StartOnRequest:
    """Starts auto-advance on the first request: a mounted app's lifespan never runs."""

    def __init__(self, app: ASGIApp, *, state: Simulation) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.ensure_started()
        await self.app(scope, receive, send)


def simulator_app(
    name: str,
    state: Simulation,
    routes: Sequence[BaseRoute],
    *,
    faults: FaultInjector,
    error_body: ErrorBody,
    exception_handlers: Mapping[Any, Any],
    outermost: Callable[..., ASGIApp] = StartOnRequest,
) -> Starlette:
    """A simulator's Starlette app: its routes, faults injected into the vendor API
    (never into /_control), its state started on the first request or by the
    lifespan, and kept on ``app.state.<name>``. ``outermost`` is a middleware taking
    ``state=`` that runs first (StartOnRequest, or one that also adds headers)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.running():
            yield

    app = Starlette(
        routes=list(routes),
        middleware=[
            Middleware(outermost, state=state),
            Middleware(FaultMiddleware, injector=faults, error_body=error_body),
        ],
        exception_handlers=dict(exception_handlers),
        lifespan=lifespan,
    )
    setattr(app.state, name, state)
    return app
