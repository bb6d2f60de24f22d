"""What every Cache promises, run against the memory and the Redis backend."""

from __future__ import annotations

import asyncio

import pytest

from shipgraph.cache import Cache, SupportsDeleteIf
from tests.cache.conftest import CacheFactory


async def test_get_set_delete(cache: Cache) -> None:
    assert await cache.get("k") is None
    await cache.set("k", b"v1", 60)
    assert await cache.get("k") == b"v1"
    await cache.set("k", b"", 60)
    assert await cache.get("k") == b""  # empty is a value, not a miss
    await cache.delete("k")
    assert await cache.get("k") is None
    await cache.delete("k")  # deleting a missing key is fine


async def test_values_expire_at_millisecond_precision(cache: Cache) -> None:
    await cache.set("short", b"x", 0.05)
    await cache.set("long", b"y", 5)
    assert await cache.get("short") == b"x"
    await asyncio.sleep(0.1)
    assert await cache.get("short") is None
    assert await cache.get("long") == b"y"


async def test_non_positive_ttl_deletes(cache: Cache) -> None:
    await cache.set("k", b"x", 60)
    await cache.set("k", b"y", 0)
    assert await cache.get("k") is None


async def test_keys_are_shared_between_instances(make_cache: CacheFactory) -> None:
    one, other = make_cache(), make_cache()
    await one.set("k", b"v", 60)
    assert await other.get("k") == b"v"


async def test_values_and_locks_do_not_collide(cache: Cache) -> None:
    await cache.set("k", b"v", 60)
    async with cache.lock("k", hold_s=5, wait_s=0) as held:
        assert held
        assert await cache.get("k") == b"v"


async def test_delete_if(cache: Cache) -> None:
    assert isinstance(cache, SupportsDeleteIf)
    await cache.set("k", b"new", 60)
    assert not await cache.delete_if("k", b"old")
    assert await cache.get("k") == b"new"
    assert await cache.delete_if("k", b"new")
    assert await cache.get("k") is None
    assert not await cache.delete_if("k", b"new")


async def test_ping(cache: Cache) -> None:
    assert await cache.ping()


# --- locks ------------------------------------------------------------------------


async def test_lock_excludes_until_released(make_cache: CacheFactory) -> None:
    one, other = make_cache(), make_cache()
    async with one.lock("k", hold_s=5, wait_s=0) as held:
        assert held
        async with other.lock("k", hold_s=5, wait_s=0.05) as second:
            assert not second
        async with other.lock("other", hold_s=5, wait_s=0) as unrelated:
            assert unrelated
    async with other.lock("k", hold_s=5, wait_s=0) as after:
        assert after


async def test_waiter_gets_the_lock_when_it_is_released(make_cache: CacheFactory) -> None:
    one, other = make_cache(), make_cache()
    order: list[str] = []

    async def holder() -> None:
        async with one.lock("k", hold_s=5, wait_s=0) as held:
            assert held
            await asyncio.sleep(0.1)
            order.append("released")

    async def waiter() -> None:
        await asyncio.sleep(0.02)
        async with other.lock("k", hold_s=5, wait_s=2) as held:
            assert held
            order.append("acquired")

    await asyncio.wait_for(asyncio.gather(holder(), waiter()), 2)
    assert order == ["released", "acquired"]


async def test_only_one_of_many_holds_at_a_time(make_cache: CacheFactory) -> None:
    caches = [make_cache() for _ in range(4)]
    inside = 0
    most = 0
    entered = 0

    async def worker(cache: Cache) -> None:
        nonlocal inside, most, entered
        async with cache.lock("k", hold_s=5, wait_s=5) as held:
            assert held
            inside += 1
            entered += 1
            most = max(most, inside)
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(worker(caches[i % 4]) for i in range(12)))
    assert most == 1 and entered == 12


async def test_abandoned_lock_expires_after_hold(make_cache: CacheFactory) -> None:
    one, other = make_cache(), make_cache()
    abandoned = one.lock("k", hold_s=0.1, wait_s=0)
    assert await abandoned.__aenter__()  # a holder that dies without releasing
    async with other.lock("k", hold_s=5, wait_s=1) as held:
        assert held


async def test_only_the_holder_releases(make_cache: CacheFactory) -> None:
    first, second, third = make_cache(), make_cache(), make_cache()
    late = first.lock("k", hold_s=0.05, wait_s=0)
    assert await late.__aenter__()
    await asyncio.sleep(0.1)  # first's hold expires while it still works
    async with second.lock("k", hold_s=5, wait_s=0) as taken:
        assert taken
        await late.__aexit__(None, None, None)  # first, done at last, releases...
        async with third.lock("k", hold_s=5, wait_s=0) as stolen:
            assert not stolen  # ...but that does not free second's lock
    async with third.lock("k", hold_s=5, wait_s=0) as after:
        assert after


@pytest.mark.parametrize("wait_s", [0, 0.05])
async def test_lock_gives_up_after_wait(make_cache: CacheFactory, wait_s: float) -> None:
    one, other = make_cache(), make_cache()
    async with one.lock("k", hold_s=5, wait_s=0):
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with other.lock("k", hold_s=5, wait_s=wait_s) as held:
            assert not held
        assert wait_s <= loop.time() - started < wait_s + 0.1
