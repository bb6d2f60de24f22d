"""What only the Redis event bus does: across processes, one connection, bad input."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack

import pytest
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff

from shipgraph.codec import encode_event
from shipgraph.events import SUBSCRIBER_QUEUE_SIZE, RedisEventBus, SubscriberOverflow
from tests.events import bus_tasks, eventually, make_event, take
from tests.support.redis_server import RedisServer, start_redis_server

pytestmark = pytest.mark.redis

PREFIX = "test"


@pytest.fixture
async def observer(redis_url: str) -> AsyncIterator[redis.Redis]:
    """A plain client, standing outside the buses."""
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def make_bus(redis_url: str) -> AsyncIterator[Callable[[], RedisEventBus]]:
    """Buses with a client of their own each, as separate server processes have."""
    made: list[RedisEventBus] = []

    def make() -> RedisEventBus:
        bus = RedisEventBus.from_url(redis_url, prefix=PREFIX)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.aclose()
    assert bus_tasks() == []


async def numsub(client: redis.Redis, channel: str) -> int:
    [(_, count)] = await client.pubsub_numsub(channel)
    return int(count)


async def subscribed_connections(client: redis.Redis) -> int:
    """Connections of the server that are subscribed to at least one channel."""
    return sum(1 for entry in await client.client_list() if int(entry["sub"]) > 0)


async def test_channel_per_tenant_under_the_prefix(
    make_bus: Callable[[], RedisEventBus], observer: redis.Redis
) -> None:
    bus = make_bus()
    assert bus.channel("acme") == "test:events:acme"
    async with bus.subscribe("acme"):
        assert await numsub(observer, "test:events:acme") == 1
        assert await numsub(observer, "test:events:globex") == 0


async def test_event_published_on_one_bus_reaches_a_subscriber_of_another(
    make_bus: Callable[[], RedisEventBus],
) -> None:
    publisher, subscriber = make_bus(), make_bus()
    event = make_event(1)
    async with subscriber.subscribe("acme") as events:
        await publisher.publish(event)
        async with asyncio.timeout(3):
            assert await anext(events) == event


async def test_subscribers_of_a_process_share_one_pubsub_connection(
    make_bus: Callable[[], RedisEventBus], observer: redis.Redis
) -> None:
    bus = make_bus()
    async with AsyncExitStack() as stack:
        acme = [await stack.enter_async_context(bus.subscribe("acme")) for _ in range(100)]
        globex = await stack.enter_async_context(bus.subscribe("globex"))
        assert bus.subscriber_count("acme") == 100
        assert await numsub(observer, bus.channel("acme")) == 1
        assert await numsub(observer, bus.channel("globex")) == 1
        assert await subscribed_connections(observer) == 1

        await observer.publish(bus.channel("acme"), encode_event(make_event(1)))
        await bus.publish(make_event(1, "globex"))
        for events in acme:
            assert await take(events, 1) == ["acme-1"]
        assert await take(globex, 1) == ["globex-1"]

    async def released() -> bool:
        return await subscribed_connections(observer) == 0

    await eventually(released)
    assert await numsub(observer, bus.channel("acme")) == 0


async def test_undecodable_message_is_logged_and_skipped(
    make_bus: Callable[[], RedisEventBus],
    observer: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = make_bus()
    caplog.set_level(logging.WARNING, logger="shipgraph.events")
    async with bus.subscribe("acme") as events:
        await observer.publish(bus.channel("acme"), b"\xff\x00 not an event")
        await observer.publish(bus.channel("acme"), b'{"shipment": "nope"}')
        await bus.publish(make_event(2))
        assert await take(events, 1) == ["acme-2"]
    warnings = [r for r in caplog.records if r.name == "shipgraph.events"]
    assert len(warnings) == 2
    assert all("undecodable" in record.getMessage() for record in warnings)


async def test_event_of_another_tenant_on_a_channel_is_skipped(
    make_bus: Callable[[], RedisEventBus], observer: redis.Redis
) -> None:
    bus = make_bus()
    async with bus.subscribe("acme") as events:
        await observer.publish(bus.channel("acme"), encode_event(make_event(1, "globex")))
        await bus.publish(make_event(2))
        assert await take(events, 1) == ["acme-2"]


async def test_overflow_of_the_last_subscriber_unsubscribes_the_channel(
    make_bus: Callable[[], RedisEventBus], observer: redis.Redis
) -> None:
    publisher, bus = make_bus(), make_bus()
    async with bus.subscribe("acme") as slow:
        for number in range(SUBSCRIBER_QUEUE_SIZE + 1):
            await publisher.publish(make_event(number))

        async def unsubscribed() -> bool:
            return await numsub(observer, bus.channel("acme")) == 0

        await eventually(unsubscribed)
        assert bus.subscriber_count() == 0
        with pytest.raises(SubscriberOverflow):
            await anext(slow)
    assert await numsub(observer, bus.channel("acme")) == 0


# --- Redis restarts ---------------------------------------------------------------------


@pytest.fixture
def own_server() -> Iterator[list[RedisServer]]:
    """A redis-server of this test alone, which it may stop and start again (the
    test puts a restarted server in the list; stopping twice is harmless)."""
    holder = [start_redis_server()]
    yield holder
    holder[0].stop()


async def test_reconnects_and_resubscribes_after_redis_restarts(
    own_server: list[RedisServer],
) -> None:
    server = own_server[0]
    fast_retry = Retry(ConstantBackoff(0.02), 1)
    bus_client = redis.Redis.from_url(server.url, retry=fast_retry)
    bus = RedisEventBus(bus_client, prefix=PREFIX)
    try:
        async with AsyncExitStack() as stack:
            acme = await stack.enter_async_context(bus.subscribe("acme"))
            globex = await stack.enter_async_context(bus.subscribe("globex"))
            leaving = bus.subscribe("initech")
            await leaving.__aenter__()
            await bus.publish(make_event(1))
            assert await take(acme, 1) == ["acme-1"]

            server.stop()
            await asyncio.sleep(0.1)
            await leaving.__aexit__(None, None, None)  # leaves while Redis is down
            entering = asyncio.create_task(stack.enter_async_context(bus.subscribe("acme")))
            await asyncio.sleep(0.1)
            assert not entering.done()  # waits for Redis to confirm

            server = own_server[0] = start_redis_server(port=server.port)
            late_acme = await asyncio.wait_for(entering, 5)
            observer = redis.Redis.from_url(server.url)
            stack.push_async_callback(observer.aclose)
            assert await numsub(observer, bus.channel("acme")) == 1
            assert await numsub(observer, bus.channel("globex")) == 1
            assert await numsub(observer, bus.channel("initech")) == 0
            assert await subscribed_connections(observer) == 1

            await bus.publish(make_event(2))
            await bus.publish(make_event(1, "globex"))
            assert await take(acme, 1) == ["acme-2"]
            assert await take(late_acme, 1) == ["acme-2"]
            assert await take(globex, 1) == ["globex-1"]
            assert len(bus_tasks()) == 2
    finally:
        await bus.aclose()
        await bus_client.aclose()
    assert bus_tasks() == []


async def test_subscribe_times_out_while_redis_is_down(own_server: list[RedisServer]) -> None:
    server = own_server[0]
    client = redis.Redis.from_url(server.url, retry=Retry(ConstantBackoff(0.02), 1))
    bus = RedisEventBus(client, prefix=PREFIX, subscribe_timeout=0.3)
    server.stop()
    try:
        with pytest.raises(TimeoutError):
            async with bus.subscribe("acme"):
                pass
        assert bus.subscriber_count() == 0
        assert bus.channels() == []
    finally:
        await bus.aclose()
        await client.aclose()
    assert bus_tasks() == []
