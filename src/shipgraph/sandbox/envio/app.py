"""The Envio simulator app: the vendor API, the control API and fault injection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shipgraph.sandbox.envio.api import vendor_routes
from shipgraph.sandbox.envio.control import control_routes
from shipgraph.sandbox.envio.errors import error_body
from shipgraph.sandbox.envio.state import EnvioSandboxState
from shipgraph.sandbox.faults import FaultMiddleware


class _StartOnRequest:
    """Starts auto-advance on the first request: a mounted app's lifespan never runs."""

    def __init__(self, app: ASGIApp, *, state: EnvioSandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.ensure_started()
        await self.app(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"message": exc.detail.lower()}, status_code=exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(error_body(500), status_code=500)


def create_envio_sandbox(
    *,
    api_key: str,
    webhook_url: str | None = None,
    auto_advance_s: float | None = None,
    webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
    public_base_url: str | None = None,
) -> Starlette:
    state = EnvioSandboxState(
        api_key=api_key,
        webhook_url=webhook_url,
        auto_advance_s=auto_advance_s,
        webhook_retry_delays=webhook_retry_delays,
        public_base_url=public_base_url,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with state.running():
            yield

    app = Starlette(
        routes=[*vendor_routes(state), *control_routes(state)],
        middleware=[
            Middleware(_StartOnRequest, state=state),
            Middleware(FaultMiddleware, injector=state.faults, error_body=error_body),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.envio = state
    return app
