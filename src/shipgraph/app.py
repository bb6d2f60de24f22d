"""The Starlette app: /graphql (HTTP + WebSocket), /webhooks/{carrier}, /healthz,
/readyz, /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

from shipgraph.cache import Cache, MemoryCache, RedisCache
from shipgraph.carriers.registry import build_registry
from shipgraph.config import Settings
from shipgraph.events.base import EventBus
from shipgraph.events.memory import MemoryEventBus
from shipgraph.events.redis import RedisEventBus
from shipgraph.http import ops
from shipgraph.http.graphiql import graphiql_routes
from shipgraph.http.graphql_view import OTHER_METHODS, GraphQLView, other_method
from shipgraph.http.middleware import BodySizeLimit, RequestMetrics
from shipgraph.http.server import LegacyInitDeadline
from shipgraph.http.webhooks import receive_webhook
from shipgraph.redis_pool import connect
from shipgraph.resolvers.context import Services
from shipgraph.schema import build_schema
from shipgraph.store.sql import SqlShipmentStore


def build_services(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Services:
    """The SQL store on SHIPGRAPH_DATABASE_URL (or the embedded SQLite file). With
    SHIPGRAPH_REDIS_URL the cache, the event bus and the carriers' breakers share one
    Redis client, on one pool of SHIPGRAPH_REDIS_MAX_CONNECTIONS; without it they
    live in this process's memory."""
    store = SqlShipmentStore.from_url(
        settings.database(),
        pool_size=settings.database_max_connections,
        max_overflow=0,
        pool_timeout=settings.database_pool_wait_s,
    )
    bus: EventBus
    cache: Cache
    client = None
    if settings.redis_url:
        client = connect(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            wait_s=settings.redis_pool_wait_s,
            socket_timeout_s=settings.redis_timeout_s,
        )
        bus = RedisEventBus(client)
        cache = RedisCache(client)
    else:
        bus = MemoryEventBus()
        cache = MemoryCache()
    registry = build_registry(settings, cache, transport=transport, redis=client)
    return Services(
        settings=settings, store=store, bus=bus, registry=registry, cache=cache, redis=client
    )


def create_app(
    settings: Settings,
    *,
    services: Services | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    extra_lifespan: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    graphiql_key: str | None = None,
) -> Starlette:
    """``extra_routes`` and ``extra_lifespan`` let `shipgraph dev` mount the simulators."""
    services = services or build_services(settings)
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_fields=settings.max_fields,
        traced=settings.otel_enabled,
    )
    view = GraphQLView(schema, services, graphiql=settings.graphiql, graphiql_key=graphiql_key)
    # graphql-transport-ws: a socket that sends no connection_init in time is closed 4408.
    view.connection_init_wait_timeout = timedelta(seconds=settings.ws_init_wait_s)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with AsyncExitStack() as running:
                await services.store.open()
                if extra_lifespan is not None:
                    await running.enter_async_context(extra_lifespan())
                # after the simulators `shipgraph dev` mounts start, stopped before they stop
                services.poller.start()
                running.push_async_callback(services.poller.aclose)
                yield
        finally:
            await services.courier_watch.aclose()
            await services.registry.aclose()
            await services.bus.aclose()
            await services.cache.aclose()
            await services.store.aclose()
            if services.redis is not None:
                await services.redis.aclose()  # last: the cache, bus and breakers share it

    routes: list[BaseRoute] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/graphql", other_method, methods=list(OTHER_METHODS)),
        WebSocketRoute("/graphql", LegacyInitDeadline(view, settings.ws_init_wait_s)),
        Route("/webhooks/{carrier}", receive_webhook, methods=["POST"]),
        Route("/healthz", ops.healthz, methods=["GET"]),
        Route("/readyz", ops.readyz, methods=["GET"]),
        Route("/metrics", ops.metrics, methods=["GET"]),
        *(graphiql_routes() if settings.graphiql else []),
        *extra_routes,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestMetrics),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        ],
    )
    app.state.services = services
    return app
