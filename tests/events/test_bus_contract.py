"""What every EventBus promises, run against the memory and the Redis backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio as redis

from shipgraph.events import (
    SUBSCRIBER_QUEUE_SIZE,
    EventBus,
    MemoryEventBus,
    RedisEventBus,
    SubscriberOverflow,
)
from tests.events import bus_tasks, eventually, make_event, take


@dataclass
class Harness:
    bus: MemoryEventBus | RedisEventBus
    redis_url: str | None

    async def redis_subscribers(self, tenant: str) -> int:
        """PUBSUB NUMSUB of the tenant's channel, asked from a separate client."""
        assert isinstance(self.bus, RedisEventBus) and self.redis_url is not None
        client = redis.Redis.from_url(self.redis_url)
        try:
            [(_, count)] = await client.pubsub_numsub(self.bus.channel(tenant))
            return int(count)
        finally:
            await client.aclose()

    async def assert_released(self, tenant: str) -> None:
        """Nothing is left of the tenant's subscriptions, locally or in Redis."""
        assert self.bus.subscriber_count(tenant) == 0
        if isinstance(self.bus, RedisEventBus):
            assert self.bus.channel(tenant) not in self.bus.channels()

            async def unsubscribed() -> bool:
                return await self.redis_subscribers(tenant) == 0

            await eventually(unsubscribed)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend_url(request: pytest.FixtureRequest) -> str | None:
    """None for the memory backend, else the URL of the session's own Redis."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def harness(backend_url: str | None) -> AsyncIterator[Harness]:
    bus: MemoryEventBus | RedisEventBus
    if backend_url is None:
        bus = MemoryEventBus()
    else:
        bus = RedisEventBus.from_url(backend_url, prefix="test")
    yield Harness(bus, backend_url)
    await bus.aclose()
    assert bus_tasks() == []


def as_protocol(bus: MemoryEventBus | RedisEventBus) -> EventBus:
    """Both backends are EventBus (checked by mypy)."""
    return bus


# --- delivery -------------------------------------------------------------------------


async def test_delivers_in_order_to_every_subscriber_of_the_tenant(harness: Harness) -> None:
    bus = as_protocol(harness.bus)
    async with (
        bus.subscribe("acme") as first,
        bus.subscribe("acme") as second,
        bus.subscribe("globex") as other,
    ):
        for number in range(1, 6):
            await bus.publish(make_event(number, "acme"))
        await bus.publish(make_event(1, "globex"))
        expected = [f"acme-{number}" for number in range(1, 6)]
        assert await take(first, 5) == expected
        assert await take(second, 5) == expected
        # The other tenant's first event is its own: none of acme's reached it.
        assert await take(other, 1) == ["globex-1"]


async def test_event_arrives_whole(harness: Harness) -> None:
    event = make_event(7)
    async with harness.bus.subscribe("acme") as events:
        await harness.bus.publish(event)
        async with asyncio.timeout(3):
            assert await anext(events) == event


async def test_event_published_before_subscribing_is_not_received(harness: Harness) -> None:
    bus = harness.bus
    await bus.publish(make_event(1))
    async with bus.subscribe("acme") as early:
        await bus.publish(make_event(2))
        # Entering a subscription on a channel already subscribed does not replay
        # what was published before it, even when it is still in flight.
        async with bus.subscribe("acme") as late:
            await bus.publish(make_event(3))
            assert await take(late, 1) == ["acme-3"]
        assert await take(early, 2) == ["acme-2", "acme-3"]


async def test_slow_subscriber_overflows_while_a_fast_one_gets_everything(
    harness: Harness,
) -> None:
    bus = harness.bus
    total = SUBSCRIBER_QUEUE_SIZE + 20
    async with bus.subscribe("acme") as fast, bus.subscribe("acme") as slow:
        reading = asyncio.create_task(take(fast, total, within=8))
        for number in range(total):
            await bus.publish(make_event(number))
        assert await reading == [f"acme-{number}" for number in range(total)]
        with pytest.raises(SubscriberOverflow):
            await anext(slow)
        with pytest.raises(SubscriberOverflow):
            await anext(slow)
        assert bus.subscriber_count("acme") == 1
        await bus.publish(make_event(total))
        assert await take(fast, 1) == [f"acme-{total}"]
    await harness.assert_released("acme")


# --- release ----------------------------------------------------------------------------


async def test_leaving_the_context_releases_the_subscription(harness: Harness) -> None:
    bus = harness.bus
    async with bus.subscribe("acme") as events:
        assert bus.subscriber_count("acme") == 1
        if isinstance(bus, RedisEventBus):
            assert await harness.redis_subscribers("acme") == 1
        await bus.publish(make_event(1))
        assert await take(events, 1) == ["acme-1"]
    await harness.assert_released("acme")


async def test_an_error_in_the_body_propagates_and_releases(harness: Harness) -> None:
    with pytest.raises(LookupError):
        async with harness.bus.subscribe("acme"):
            raise LookupError("boom")
    await harness.assert_released("acme")


async def test_cancelling_a_consumer_mid_iteration_releases(harness: Harness) -> None:
    bus = harness.bus
    received: list[str] = []
    entered = asyncio.Event()

    async def consume() -> None:
        async with bus.subscribe("acme") as events:
            entered.set()
            async for event in events:
                received.append(event.shipment.id)

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(entered.wait(), 3)
    await bus.publish(make_event(1))

    async def got_one() -> bool:
        return received == ["acme-1"]

    await eventually(got_one)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    await harness.assert_released("acme")

    async with bus.subscribe("acme") as again:
        await bus.publish(make_event(2))
        assert await take(again, 1) == ["acme-2"]


async def test_cancelling_while_entering_releases(harness: Harness) -> None:
    async def enter() -> None:
        async with harness.bus.subscribe("acme"):
            await asyncio.sleep(10)

    task = asyncio.create_task(enter())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await harness.assert_released("acme")


async def test_aclose_ends_subscriptions_and_leaves_nothing_running(harness: Harness) -> None:
    bus = harness.bus
    async with bus.subscribe("acme") as events:
        await bus.publish(make_event(1))
        assert await take(events, 1) == ["acme-1"]
        await bus.aclose()
        with pytest.raises(StopAsyncIteration):
            await anext(events)
    assert bus_tasks() == []
    await harness.assert_released("acme")
    with pytest.raises(RuntimeError):
        async with bus.subscribe("acme"):
            pass
    await bus.aclose()  # idempotent
