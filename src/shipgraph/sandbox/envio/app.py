"""The Envio simulator app: the vendor API, the control API and fault injection."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shipgraph.sandbox.envio.api import vendor_routes
from shipgraph.sandbox.envio.control import control_routes
from shipgraph.sandbox.envio.errors import error_body
from shipgraph.sandbox.envio.state import EnvioSandboxState
from shipgraph.sandbox.simulation import simulator_app


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

    return simulator_app(
        "envio",
        state,
        [*vendor_routes(state), *control_routes(state)],
        faults=state.faults,
        error_body=error_body,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
