"""The live benchmark's floor: the ``websockets`` library's ``broadcast()``, which
writes one prepared frame straight to every connection's socket (no ASGI, no task
per subscriber, no GraphQL), on uvloop like the gateway.

- ``/ws``: a connection that only listens.
- ``/publish``: each text message received there is broadcast to every ``/ws``
  connection, then answered with ``{"sent": n}``.

Run: ``python -m bench.floor --port PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")


async def main(port: int) -> None:
    listeners: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path == "/publish":
            async for message in connection:
                broadcast(listeners, message)
                await connection.send(json.dumps({"sent": len(listeners)}))
            return
        listeners.add(connection)
        try:
            await connection.wait_closed()
        finally:
            listeners.discard(connection)

    # The benchmark's client offers no compression; neither side would use it.
    async with serve(handler, "127.0.0.1", port, subprotocols=[PROTOCOL], compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(main(parser.parse_args().port))
