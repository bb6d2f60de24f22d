"""The baselines' server: plain Starlette, served by uvicorn the way `shipgraph serve`
serves the gateway (``uvicorn.run``, same options), in its own process, on the same
PostgreSQL database as the gateway (``--database-url``, the gateway's URL).

The database is read through an asyncpg pool directly, not through SQLAlchemy:
that is the least a Python endpoint can do with PostgreSQL (the gateway's store runs
SQLAlchemy Core over the same asyncpg driver), so the baseline is the floor, and a
ratio against it counts SQLAlchemy's own cost against the gateway, not for it.

- ``GET /shipment/{id}?tenant=acme``: the stored ``document`` bytes of the row
  ``shipments (tenant, id)``, as they are; no authentication, no GraphQL, no decoding.
- ``GET /sqlalchemy/shipment/{id}?tenant=acme``: the same bytes read through
  SQLAlchemy Core on an engine made as the gateway's store makes it
  (``shipgraph.store.sql.engine.create_engine``, reads in autocommit, the statement
  built once): the least the issue's stack can do, a floor for the gateway's reads.
- ``GET /page?tenant=globex``: the tenant's newest 100 shipments (the listing's
  order, ``created_us DESC, id DESC``) with the fields a dashboard shows, as a JSON
  array: each document decoded with ``json.loads``, the fields picked, and the list
  encoded with ``json.dumps`` (what a plain endpoint would do).
- ``WebSocket /ws``: a connection that only listens; ``POST /publish`` hands the
  request body to every open connection's queue and answers; each connection's task
  sends it as one text frame. The same shape as a subscription (one task per
  subscriber, woken by a queue), without GraphQL or Redis.

Run: ``python -m bench.plain --port PORT [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from shipgraph.store.sql.engine import create_engine
from shipgraph.store.sql.tables import shipments

PAGE = 100
POOL_SIZE = 20
"""As many connections as a gateway process's pool (database_max_connections)."""
SHIPMENT = "SELECT document FROM shipments WHERE tenant = $1 AND id = $2"
SHIPMENT_CORE = sa.select(shipments.c.document).where(
    shipments.c.tenant == sa.bindparam("tenant"), shipments.c.id == sa.bindparam("id")
)
NEWEST = (
    "SELECT document FROM shipments WHERE tenant = $1 ORDER BY created_us DESC, id DESC LIMIT $2"
)


def asyncpg_dsn(url: str) -> str:
    """SQLAlchemy's ``postgresql+asyncpg://`` URL as asyncpg's DSN."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def dashboard_row(document: bytes) -> dict[str, Any]:
    """The dashboard's fields of a stored document, named as the GraphQL query names them."""
    shipment = json.loads(document)
    origin, destination = shipment["origin"], shipment["destination"]
    return {
        "id": shipment["id"],
        "status": shipment["status"],
        "trackingNumber": shipment["tracking_number"],
        "reference": shipment["reference"],
        "createdAt": shipment["created_at"],
        "origin": {"city": origin["city"], "countryCode": origin["country_code"]},
        "destination": {"city": destination["city"], "countryCode": destination["country_code"]},
        "parcels": [{"weightKg": parcel["weight_kg"]} for parcel in shipment["parcels"]],
    }


def create_app(database_url: str | None) -> Starlette:
    listeners: set[asyncio.Queue[str]] = set()
    pools: list[asyncpg.Pool] = []
    engines: list[AsyncEngine] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if database_url is not None:
            dsn = asyncpg_dsn(database_url)
            pools.append(await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE))
            engine = create_engine(database_url, pool_size=POOL_SIZE, max_overflow=0)
            engines.append(engine.execution_options(isolation_level="AUTOCOMMIT"))
        try:
            yield
        finally:
            for pool in pools:
                await pool.close()
            for engine in engines:
                await engine.dispose()

    async def shipment(request: Request) -> Response:
        tenant = request.query_params.get("tenant", "acme")
        raw = await pools[0].fetchval(SHIPMENT, tenant, request.path_params["id"])
        if raw is None:
            return Response(b'{"error": "not found"}', 404, media_type="application/json")
        return Response(raw, media_type="application/json")

    async def shipment_core(request: Request) -> Response:
        tenant = request.query_params.get("tenant", "acme")
        async with engines[0].connect() as conn:
            read = await conn.execute(
                SHIPMENT_CORE, {"tenant": tenant, "id": request.path_params["id"]}
            )
            raw = read.scalar_one_or_none()
        if raw is None:
            return Response(b'{"error": "not found"}', 404, media_type="application/json")
        return Response(raw, media_type="application/json")

    async def page(request: Request) -> Response:
        tenant = request.query_params.get("tenant", "acme")
        rows = await pools[0].fetch(NEWEST, tenant, PAGE)
        body = json.dumps([dashboard_row(row["document"]) for row in rows])
        return Response(body.encode(), media_type="application/json")

    async def publish(request: Request) -> Response:
        text = (await request.body()).decode()
        for queue in listeners:
            queue.put_nowait(text)
        return Response(b'{"sent": %d}' % len(listeners), media_type="application/json")

    async def listen(websocket: WebSocket) -> None:
        protocols = websocket.scope.get("subprotocols") or [None]
        await websocket.accept(subprotocol=protocols[0])
        queue: asyncio.Queue[str] = asyncio.Queue()
        listeners.add(queue)

        async def drain() -> None:
            # Reads until the client goes away (it sends nothing we need).
            try:
                while True:
                    await websocket.receive_text()
            except WebSocketDisconnect:
                pass

        async def send() -> None:
            while True:
                await websocket.send_text(await queue.get())

        sender = asyncio.create_task(send())
        try:
            await drain()
        finally:
            listeners.discard(queue)
            sender.cancel()

    return Starlette(
        routes=[
            Route("/shipment/{id}", shipment, methods=["GET"]),
            Route("/sqlalchemy/shipment/{id}", shipment_core, methods=["GET"]),
            Route("/page", page, methods=["GET"]),
            Route("/publish", publish, methods=["POST"]),
            WebSocketRoute("/ws", listen),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plain")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    # As shipgraph.cli._serve runs the gateway.
    uvicorn.run(
        create_app(args.database_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
