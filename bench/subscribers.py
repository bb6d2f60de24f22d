"""A thousand GraphQL subscribers on lean WebSocket clients, and the rounds that time
one event's way to all of them (bench/live.py)."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.integration.operations import SUBSCRIBE

from bench.common import BenchError
from bench.wsclient import WsClient, connect

CONNECTING = 50
"""Connections opened at once."""
WARMUP_TRIES = 10
PROTOCOL = "graphql-transport-ws"


@dataclass
class Receipts:
    """The arrivals of one round, counted as they come."""

    expected: int
    arrivals: list[tuple[int, bytes]] = field(default_factory=list)
    complete: asyncio.Future[None] | None = None

    def __call__(self, now_ns: int, payload: bytes) -> None:
        self.arrivals.append((now_ns, payload))
        if len(self.arrivals) >= self.expected and self.complete and not self.complete.done():
            self.complete.set_result(None)

    def start(self) -> None:
        self.arrivals = []
        self.complete = asyncio.get_running_loop().create_future()


@dataclass
class Round:
    post_ns: int
    """The trigger's own round trip (POST to its answer)."""
    receipts_ns: list[int]
    """Each subscriber's receipt, from just before the POST."""


@dataclass
class Setup:
    name: str
    clients: list[WsClient]
    trigger: Callable[[int], Awaitable[None]]
    """Sends the n-th event; raises when the server refuses it."""
    marker: Callable[[int], bytes]
    """Bytes every receipt of the n-th event contains."""
    rounds: list[Round] = field(default_factory=list)
    last_payload: bytes = b""

    async def once(self, n: int, wait_s: float) -> Round | None:
        """Trigger event ``n``; its round, or None when not every subscriber got it."""
        receipts = Receipts(len(self.clients))
        for client in self.clients:
            client.on_text = receipts
        receipts.start()
        started = time.perf_counter_ns()
        await self.trigger(n)
        posted = time.perf_counter_ns() - started
        assert receipts.complete is not None
        try:
            await asyncio.wait_for(asyncio.shield(receipts.complete), wait_s)
        except TimeoutError:
            return None
        wanted = self.marker(n)
        for _, payload in receipts.arrivals:
            if wanted not in payload or b'"errors"' in payload:
                raise BenchError(f"{self.name}: unexpected event {payload[:300]!r}")
        self.last_payload = receipts.arrivals[-1][1]
        return Round(posted, [at - started for at, _ in receipts.arrivals])


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def connected(urls: list[str], count: int, init: dict[str, Any] | None) -> list[WsClient]:
    """``count`` clients spread over ``urls``; with ``init``, each subscribed."""
    gate = asyncio.Semaphore(CONNECTING)

    async def one(n: int) -> WsClient:
        async with gate:
            url = urls[n % len(urls)].replace("http://", "ws://")
            client = await connect(url, PROTOCOL)
            if init is not None:
                client.send_json({"type": "connection_init", "payload": init})
                if (await client.receive())["type"] != "connection_ack":
                    raise BenchError("connection_init refused")
                payload = {"query": SUBSCRIBE, "variables": {}}
                client.send_json({"id": "1", "type": "subscribe", "payload": payload})
            return client

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def ready(setup: Setup, first: int) -> int:
    """Send events until one reaches every subscriber (subscriptions join the bus
    asynchronously); the next event number."""
    n = first
    for _ in range(WARMUP_TRIES):
        n += 1
        if await setup.once(n, 3.0) is not None:
            return n
    raise BenchError(f"{setup.name}: no event reached all {len(setup.clients)} subscribers")
