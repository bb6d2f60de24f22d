"""The Entrego simulator app: API host, core host, control API and fault injection.

One app serves both of the document's hosts (api.entrego.org: authentication and sales
orders; api-core.entrego.org: Location API, clean-up, waybills): their paths do not
overlap, so `shipgraph dev` mounts it once and points both base URLs at it.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shipgraph.sandbox.entrego.api import vendor_routes
from shipgraph.sandbox.entrego.control import control_routes
from shipgraph.sandbox.entrego.core_api import location_routes, waybill_routes
from shipgraph.sandbox.entrego.errors import SECURITY_HEADERS, ApiError, error_body
from shipgraph.sandbox.entrego.state import EntregoSandboxState
from shipgraph.sandbox.faults import route_path
from shipgraph.sandbox.simulation import simulator_app

_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class _StartAndDecorate:
    """Starts auto-advance on the first request (a mounted app's lifespan never runs) and
    adds the document's security headers to every answer outside the control API."""

    def __init__(self, app: ASGIApp, *, state: EntregoSandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.state.ensure_started()
        if route_path(scope).startswith("/_control"):
            await self.app(scope, receive, send)
            return

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, decorated)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return ApiError(exc.status_code, str(exc.detail)).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    return ApiError(500, "Internal server error").response()


def create_entrego_sandbox(
    *,
    access_key: str,
    secret_key: str,
    webhook_url: str | None = None,
    webhook_token: str | None = None,
    auto_advance_s: float | None = None,
    token_validity_s: float = 86400,
    waybill_pending_s: float = 0.5,
    webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
) -> Starlette:
    state = EntregoSandboxState(
        access_key=access_key,
        secret_key=secret_key,
        webhook_url=webhook_url,
        webhook_token=webhook_token,
        auto_advance_s=auto_advance_s,
        token_validity_s=token_validity_s,
        waybill_pending_s=waybill_pending_s,
        webhook_retry_delays=webhook_retry_delays,
    )

    return simulator_app(
        "entrego",
        state,
        [
            *control_routes(state),
            *vendor_routes(state),
            *location_routes(state),
            *waybill_routes(state),
        ],
        faults=state.faults,
        error_body=error_body,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        outermost=_StartAndDecorate,
    )
