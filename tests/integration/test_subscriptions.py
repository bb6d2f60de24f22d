"""shipmentUpdated over both WebSocket protocols, across processes through Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as redis

from shipgraph.app import create_app
from shipgraph.events.memory import MemoryEventBus
from shipgraph.events.redis import RedisEventBus
from tests.integration.conftest import create
from tests.integration.operations import SUBSCRIBE
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.support.stack import Stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLSocket


async def subscribed(gateway: str, protocol: str = TRANSPORT_WS, **variables: Any) -> GraphQLSocket:
    socket = await GraphQLSocket.connect(gateway, protocol, "Bearer key-acme")
    assert await socket.acknowledged()
    await socket.subscribe(SUBSCRIBE, variables)
    await asyncio.sleep(0.2)  # the subscription reaches the bus
    return socket


def event_of(payload: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in payload, payload
    event: dict[str, Any] = payload["data"]["shipmentUpdated"]
    return event


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_status_changes_stream_as_the_simulator_advances(stack: Stack, protocol: str) -> None:
    socket = await subscribed(stack.gateway, protocol)
    try:
        shipment = await create(stack)
        created = event_of(await socket.next_data())
        assert created["shipment"]["id"] == shipment["id"]
        assert created["shipment"]["status"] == "CREATED"
        assert created["previousStatus"] is None
        seen = []
        for step in ("manifest", "pickup", "hub", "out_for_delivery", "deliver"):
            await stack.advance(shipment["trackingNumber"], step)
            if step in ("hub", "out_for_delivery"):
                continue  # the document has no webhook for these
            event = event_of(await socket.next_data())
            seen.append((event["previousStatus"], event["shipment"]["status"]))
            assert event["log"]["status"] == event["shipment"]["status"]
        assert seen == [
            ("CREATED", "PICKUP_SCHEDULED"),
            ("PICKUP_SCHEDULED", "PICKED_UP"),
            ("PICKED_UP", "DELIVERED"),
        ]
    finally:
        await socket.close()


async def test_filters_by_id_and_status(stack: Stack) -> None:
    first = await create(stack, "SO-1")
    second = await create(stack, "SO-2")
    by_id = await subscribed(stack.gateway, id=second["id"])
    by_status = await subscribed(stack.gateway, statuses=["PICKED_UP"])
    try:
        for shipment in (first, second):
            await stack.advance(shipment["trackingNumber"], "manifest")
        event = event_of(await by_id.next_data())
        assert event["shipment"]["id"] == second["id"]
        await stack.advance(first["trackingNumber"], "pickup")
        event = event_of(await by_status.next_data())
        assert (event["shipment"]["id"], event["shipment"]["status"]) == (first["id"], "PICKED_UP")
        with pytest.raises(TimeoutError):
            await by_id.receive(wait_s=0.3)
    finally:
        await by_id.close()
        await by_status.close()


async def test_an_event_on_one_process_reaches_a_subscriber_on_another(
    stack: Stack, redis_url: str
) -> None:
    if stack.settings.redis_url is None:
        pytest.skip("two processes share events through Redis only")
    other_port = free_port()
    async with serve(create_app(stack.settings), other_port) as other_gateway:
        socket = await subscribed(other_gateway)
        try:
            shipment = await create(stack)  # booked on the first gateway
            assert event_of(await socket.next_data())["shipment"]["id"] == shipment["id"]
            await stack.advance(shipment["trackingNumber"], "manifest")  # webhook to the first
            event = event_of(await socket.next_data())
            assert event["shipment"]["status"] == "PICKUP_SCHEDULED"
        finally:
            await socket.close()


async def channel_subscribers(url: str, channel: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        counts = await client.pubsub_numsub(channel)
        return int(counts[0][1])
    finally:
        await client.aclose()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscriber_that_leaves_leaves_nothing_behind(stack: Stack, protocol: str) -> None:
    bus = stack.app.state.services.bus
    assert isinstance(bus, MemoryEventBus | RedisEventBus)
    tasks_before = len(asyncio.all_tasks())
    sockets = [await subscribed(stack.gateway, protocol) for _ in range(3)]
    assert bus.subscriber_count("acme") == 3
    if isinstance(bus, RedisEventBus):
        assert await channel_subscribers(stack.settings.redis_url or "", bus.channel("acme")) == 1
    for socket in sockets:
        await socket.close()
    for _ in range(100):
        if bus.subscriber_count("acme") == 0:
            break
        await asyncio.sleep(0.05)
    assert bus.subscriber_count("acme") == 0
    if isinstance(bus, RedisEventBus):
        for _ in range(100):
            count = await channel_subscribers(stack.settings.redis_url or "", bus.channel("acme"))
            if count == 0:
                break
            await asyncio.sleep(0.05)
        assert count == 0
    await asyncio.sleep(0.2)
    assert len(asyncio.all_tasks()) <= tasks_before + 2  # the bus's own reader/writer at most


async def test_a_stopped_subscription_stops_receiving(stack: Stack) -> None:
    socket = await subscribed(stack.gateway)
    try:
        await socket.stop("1")
        await asyncio.sleep(0.1)
        await create(stack)
        with pytest.raises(TimeoutError):
            await socket.receive(wait_s=0.3)
    finally:
        await socket.close()
