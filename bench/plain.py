"""The baselines' server: plain Starlette, served by uvicorn the way `shipgraph serve`
serves the gateway (``uvicorn.run``, same options), in its own process.

- ``GET /shipment/{id}``: the bytes the Redis store keeps for that shipment
  (``shipgraph:shipment:<id>``, see shipgraph.store.redis), as they are; no
  authentication, no GraphQL, no decoding.
- ``WebSocket /ws``: a connection that only listens; ``POST /publish`` hands the
  request body to every open connection's queue and answers; each connection's task
  sends it as one text frame. The same shape as a subscription (one task per
  subscriber, woken by a queue), without GraphQL or Redis.

Run: ``python -m bench.plain --port PORT [--redis-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SHIPMENT_KEY = "shipgraph:shipment:{id}"


def create_app(redis_url: str | None) -> Starlette:
    listeners: set[asyncio.Queue[str]] = set()
    redis: list[Redis] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if redis_url is not None:
            redis.append(Redis.from_url(redis_url))
        try:
            yield
        finally:
            for client in redis:
                await client.aclose()

    async def shipment(request: Request) -> Response:
        raw = await redis[0].get(SHIPMENT_KEY.format(id=request.path_params["id"]))
        if raw is None:
            return Response(b'{"error": "not found"}', 404, media_type="application/json")
        return Response(raw, media_type="application/json")

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
            Route("/publish", publish, methods=["POST"]),
            WebSocketRoute("/ws", listen),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plain")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    # As shipgraph.cli._serve runs the gateway.
    uvicorn.run(
        create_app(args.redis_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
