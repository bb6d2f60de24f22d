"""A minimal GraphQL WebSocket client for both protocols, for tests."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class GraphQLSocket:
    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol
        self._ids = itertools.count(1)

    @classmethod
    async def connect(
        cls, gateway: str, protocol: str = TRANSPORT_WS, authorization: str | None = None
    ) -> GraphQLSocket:
        url = gateway.replace("http://", "ws://") + "/graphql"
        connection = await websockets.connect(url, subprotocols=[protocol])  # type: ignore[list-item]
        socket = cls(connection, protocol)
        payload = {"authorization": authorization} if authorization else {}
        await socket.send({"type": "connection_init", "payload": payload})
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, wait_s: float = 5) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), wait_s)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] not in ("ka", "ping", "pong"):
                return message

    async def acknowledged(self) -> bool:
        message = await self.receive()
        return message["type"] == "connection_ack"

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op_id, "type": kind, "payload": payload})
        return op_id

    async def next_data(self, wait_s: float = 5) -> dict[str, Any]:
        """The next result's payload (``data`` and maybe ``errors``)."""
        message = await self.receive(wait_s)
        assert message["type"] in ("next", "data"), message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def stop(self, op_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.send({"id": op_id, "type": kind})

    async def close(self) -> None:
        await self.connection.close()
