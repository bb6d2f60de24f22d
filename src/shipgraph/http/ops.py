"""Health, readiness and metrics for operators."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shipgraph.observability import REGISTRY
from shipgraph.resolvers.context import Services


async def healthz(request: Request) -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the store answers (Redis, when configured)."""
    services: Services = request.app.state.services
    ready = await services.store.ping()
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "store": ready},
        status_code=200 if ready else 503,
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
