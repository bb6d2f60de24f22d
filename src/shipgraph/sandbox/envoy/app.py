"""The Envoy simulator app: the vendor API, the control API and fault injection."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shipgraph.sandbox.envoy.api import vendor_routes
from shipgraph.sandbox.envoy.control import control_routes
from shipgraph.sandbox.envoy.errors import error_body, fail
from shipgraph.sandbox.envoy.state import EnvoySandboxState
from shipgraph.sandbox.simulation import simulator_app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "http_error"
    return fail(exc.status_code, code, str(exc.detail).lower()).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(error_body(500), status_code=500)


def create_envoy_sandbox(
    *,
    access_token: str,
    async_delay_s: float = 1.0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook_retry_delays: Sequence[float] = (0.5, 2.0, 5.0),
) -> Starlette:
    """The simulator; its state is ``app.state.envoy``. Works mounted under a prefix
    (file URLs include it). Nothing runs in the background: a 202'd create completes
    when it is next looked at after its delay. With ``webhook_url``, each status
    change is POSTed there (see state.py), signed with ``webhook_secret``."""
    state = EnvoySandboxState(
        access_token=access_token,
        async_delay_s=async_delay_s,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_retry_delays=webhook_retry_delays,
    )

    return simulator_app(
        "envoy",
        state,
        [*vendor_routes(state), *control_routes(state)],
        faults=state.faults,
        error_body=error_body,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
