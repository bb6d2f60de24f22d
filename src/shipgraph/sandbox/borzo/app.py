"""The Borzo simulator app: the vendor API, the control API and fault injection."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from shipgraph.sandbox.borzo.api import vendor_routes
from shipgraph.sandbox.borzo.control import control_routes
from shipgraph.sandbox.borzo.errors import ApiError, error_body
from shipgraph.sandbox.borzo.files import file_routes
from shipgraph.sandbox.borzo.state import BorzoSandboxState
from shipgraph.sandbox.simulation import simulator_app


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
    return simulator_app(
        "borzo",
        state,
        # Control and file routes first: the vendor route catches every other path.
        [*control_routes(state), *file_routes(state), *vendor_routes(state)],
        faults=state.faults,
        error_body=error_body,
        exception_handlers={Exception: _server_error},
    )
