"""Health, readiness and metrics for operators."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shipgraph.observability import REGISTRY
from shipgraph.resolvers.context import Services


async def healthz(request: Request) -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers. Redis, when configured, is reported but does
    not decide: without it the gateway serves everything, only slower."""
    services: Services = request.app.state.services
    ready = await services.store.ping()
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "store": ready}
    if services.redis is not None:
        body["redis"] = await _redis_answers(services)
    return JSONResponse(body, status_code=200 if ready else 503)


async def _redis_answers(services: Services) -> bool:
    assert services.redis is not None
    try:
        return bool(await services.redis.ping())
    except (RedisError, OSError):
        return False


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
