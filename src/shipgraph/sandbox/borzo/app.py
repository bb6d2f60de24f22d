"""The Borzo simulator app: the vendor API, the control API and fault injection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shipgraph.sandbox.borzo.api import vendor_routes
from shipgraph.sandbox.borzo.control import control_routes
from shipgraph.sandbox.borzo.errors import ApiError, error_body
from shipgraph.sandbox.borzo.state import BorzoSandboxState
from shipgraph.sandbox.faults import FaultMiddleware


class _StartOnRequest:
    """Starts auto-advance on the first request: a mounted app's lifespan never runs."""

    def __init__(self, app: ASGIApp, *, state: BorzoSandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.ensure_started()
        await self.app(scope, receive, send)


async def _server_error(request: Request, exc: Exception) -> Response:
    return ApiError("unexpected_error").response()


def create_borzo_sandbox(
    *,
    auth_token: str,
    callback_url: str | None = None,
    callback_secret: str | None = None,
    auto_advance_s: float | None = None,
    callback_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
    requests_per_minute: int = 100,
    requests_per_day: int = 5000,
) -> Starlette:
    """The simulator; the gateway's Borzo base URL is where it is served (or mounted)."""
    state = BorzoSandboxState(
        auth_token=auth_token,
        callback_url=callback_url,
        callback_secret=callback_secret,
        auto_advance_s=auto_advance_s,
        callback_retry_delays=callback_retry_delays,
        requests_per_minute=requests_per_minute,
        requests_per_day=requests_per_day,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.running():
            yield

    app = Starlette(
        # Control routes first: the vendor route catches every other path.
        routes=[*control_routes(state), *vendor_routes(state)],
        middleware=[
            Middleware(_StartOnRequest, state=state),
            Middleware(FaultMiddleware, injector=state.faults, error_body=error_body),
        ],
        exception_handlers={Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.borzo = state
    return app
