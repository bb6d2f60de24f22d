"""The tracking poller in two gateway processes sharing one Redis, against the Envio
simulator with its webhooks switched off: changes arrive by polling only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import httpx
import pytest

from shipgraph.app import build_services, create_app
from shipgraph.config import load_settings
from shipgraph.resolvers.context import Services
from shipgraph.sandbox.mounts import SandboxWiring, build_sandboxes
from tests.integration.operations import CREATE, GET, SUBSCRIBE, create_input
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.support.stack import KEYS
from tests.support.ws import GraphQLSocket

pytestmark = pytest.mark.redis

POLL_S = 0.2


class TrackingCalls(httpx.AsyncBaseTransport):
    """One process's carrier transport, noting when Envio was asked to track what."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.calls: list[tuple[float, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tracking/distribution"):
            self.calls.append((time.monotonic(), request.url.params["code"]))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Pair:
    gateways: list[str]
    envio: str
    transports: list[TrackingCalls]
    services: list[Services]
    http: httpx.AsyncClient

    async def gql(self, gateway: int, query: str, variables: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {KEYS['acme']}"}
        url = f"{self.gateways[gateway]}/graphql"
        response = await self.http.post(
            url, json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def calls_for(self, code: str) -> list[float]:
        return sorted(t for calls in self.transports for t, c in calls.calls if c == code)


@asynccontextmanager
async def two_gateways(redis_url: str, database_url: str) -> AsyncIterator[Pair]:
    sandbox_port = free_port()
    wiring = SandboxWiring(base_url=f"http://127.0.0.1:{sandbox_port}", gateway_url=None)
    settings = load_settings(
        **wiring.gateway_settings(),
        api_keys=",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()),
        redis_url=redis_url,
        database_url=database_url,
        carrier_timeout_s=2.0,
        poll_s=POLL_S,
    )
    transports = [TrackingCalls(), TrackingCalls()]
    async with AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(
            serve(build_sandboxes(wiring).app(), sandbox_port)
        )
        gateways, services = [], []
        for transport in transports:
            services.append(build_services(settings, transport=transport))
            app = create_app(settings, services=services[-1])
            gateways.append(await stack.enter_async_context(serve(app)))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        yield Pair(gateways, f"{sandbox}/envio", transports, services, http)


async def test_a_change_without_webhook_is_polled_once_per_interval_and_published(
    redis_url: str, migrated_postgres_url: str
) -> None:
    async with two_gateways(redis_url, migrated_postgres_url) as pair:
        created = []
        for reference in ("SO-POLL-1", "SO-POLL-2"):
            data = await pair.gql(0, CREATE, create_input(reference))
            assert data["createShipment"]["userErrors"] == []
            created.append(data["createShipment"]["shipment"])
        moving, quiet = created
        code = moving["trackingNumber"]

        socket = await GraphQLSocket.connect(pair.gateways[1], authorization="Bearer key-acme")
        try:
            assert await socket.acknowledged()
            await socket.subscribe(
                SUBSCRIBE, {"id": moving["id"], "statuses": ["PICKUP_SCHEDULED"]}
            )
            await asyncio.sleep(0.2)  # the subscription reaches the bus
            advanced = await pair.http.post(
                f"{pair.envio}/_control/shipments/{code}/advance", json={"step": "manifest"}
            )
            assert advanced.status_code == 200 and advanced.json()["webhooks"] == []
            payload = await socket.next_data(wait_s=5)
        finally:
            await socket.close()
        event = payload["data"]["shipmentUpdated"]
        assert event["shipment"]["id"] == moving["id"]
        assert (event["previousStatus"], event["shipment"]["status"]) == (
            "CREATED",
            "PICKUP_SCHEDULED",
        )

        watched_from = time.monotonic()
        await asyncio.sleep(10 * POLL_S)
        watched_s = time.monotonic() - watched_from
        # Both pollers ran all along (either may take any poll; when their rounds fall
        # in step one of them may take them all, the other finding nothing due).
        assert all(services.poller.running for services in pair.services)
        stored = await pair.gql(0, GET, {"id": moving["id"]})
        assert stored["shipment"]["status"] == "PICKUP_SCHEDULED"

    for shipment in (moving, quiet):
        times = pair.calls_for(shipment["trackingNumber"])
        gaps = [later - earlier for earlier, later in pairwise(times)]
        # both processes poll every interval; a shipment either polled twice in one
        # interval would show a gap near zero (the tolerance is for the time between
        # the claim and the request)
        assert min(gaps) > POLL_S * 0.5, gaps
        in_window = [t for t in times if t >= watched_from]
        assert 3 <= len(in_window) <= watched_s / POLL_S + 1, times
