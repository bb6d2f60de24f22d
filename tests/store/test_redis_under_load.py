"""The Redis store under load: updates of one shipment take turns within a process,
writers in two processes both get through, and a small pool makes commands wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest

from shipgraph.domain import Shipment
from shipgraph.redis_pool import PoolExhausted
from shipgraph.store import RedisShipmentStore, StoreBusy
from tests.store.shipments import shipment

pytestmark = pytest.mark.redis


def renamed(number: int) -> Callable[[Shipment], Shipment]:
    def mutate(current: Shipment) -> Shipment:
        return replace(current, reference=f"{current.reference}+{number}")

    return mutate


async def test_concurrent_updates_in_one_process_all_apply(redis_url: str) -> None:
    store = RedisShipmentStore.from_url(redis_url)
    try:
        await store.create(shipment("s1"))
        await asyncio.gather(*(store.update("acme", "s1", renamed(n)) for n in range(100)))
        stored = await store.get("acme", "s1")
        assert stored is not None and stored.version == 101
        assert sorted(stored.reference.split("+")[1:], key=int) == [str(n) for n in range(100)]
    finally:
        await store.aclose()


async def test_concurrent_updates_from_two_processes_all_apply(redis_url: str) -> None:
    first, second = RedisShipmentStore.from_url(redis_url), RedisShipmentStore.from_url(redis_url)
    try:
        await first.create(shipment("s1"))
        await asyncio.gather(
            *(((first, second)[n % 2]).update("acme", "s1", renamed(n)) for n in range(60))
        )
        stored = await first.get("acme", "s1")
        assert stored is not None and stored.version == 61
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_burst_larger_than_the_pool_waits_for_connections(redis_url: str) -> None:
    store = RedisShipmentStore.from_url(redis_url, max_connections=3)
    try:
        await store.create(shipment("s1"))
        found = await asyncio.gather(*(store.get("acme", "s1") for _ in range(200)))
        assert all(item is not None for item in found)
    finally:
        await store.aclose()


async def test_a_pool_held_past_the_wait_is_store_busy(redis_url: str) -> None:
    store = RedisShipmentStore.from_url(redis_url, max_connections=2, wait_s=0.05)
    pool = store.client.connection_pool
    try:
        await store.create(shipment("s1"))
        held = [await pool.get_connection() for _ in range(2)]  # type: ignore[no-untyped-call]
        with pytest.raises(StoreBusy) as busy:
            await store.get("acme", "s1")
        assert isinstance(busy.value.__cause__, PoolExhausted)
        assert "connection pool is exhausted" in str(busy.value)
        for connection in held:
            await pool.release(connection)
        assert await store.get("acme", "s1") is not None
    finally:
        await store.aclose()
