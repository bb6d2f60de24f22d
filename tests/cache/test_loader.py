"""CachedLoader over both backends: single flight, TTLs, the stale copy, Redis down."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shipgraph.cache import Cache, CachedLoader, RedisCache
from tests.cache import Upstream, gather_all
from tests.cache.conftest import CacheFactory


def loader(cache: Cache, ttl_s: float = 60, stale_ttl_s: float = 600) -> CachedLoader:
    return CachedLoader(cache, ttl_s=ttl_s, stale_ttl_s=stale_ttl_s)


async def test_two_hundred_concurrent_gets_load_once(cache: Cache) -> None:
    upstream = Upstream()
    one = loader(cache)
    assert await gather_all(200, lambda: one.get("k", upstream)) == [b"v1"] * 200
    assert upstream.calls == 1
    assert await one.get("k", upstream) == b"v1"  # and now it is cached
    assert upstream.calls == 1


async def test_two_processes_load_once_in_total(make_cache: CacheFactory) -> None:
    upstream = Upstream(delay_s=0.1)
    first, second = loader(make_cache()), loader(make_cache())
    results = await asyncio.gather(
        gather_all(100, lambda: first.get("k", upstream)),
        gather_all(100, lambda: second.get("k", upstream)),
    )
    assert list(results) == [[b"v1"] * 100] * 2
    assert upstream.calls == 1


async def test_keys_are_loaded_separately(cache: Cache) -> None:
    one = loader(cache)
    a, b = Upstream(value=b"a"), Upstream(value=b"b")
    assert list(await asyncio.gather(one.get("a", a), one.get("b", b))) == [b"a", b"b"]
    assert (a.calls, b.calls) == (1, 1)


async def test_expired_value_is_reloaded(cache: Cache) -> None:
    upstream = Upstream(delay_s=0)
    one = loader(cache, ttl_s=0.05)
    assert await one.get("k", upstream) == b"v1"
    assert await one.get("k", upstream) == b"v1"
    assert upstream.calls == 1
    await asyncio.sleep(0.1)
    upstream.value = b"v2"
    assert await one.get("k", upstream) == b"v2"
    assert upstream.calls == 2


async def test_stale_copy_served_when_load_fails(
    cache: Cache, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = Upstream(delay_s=0)
    one = loader(cache, ttl_s=0.05, stale_ttl_s=10)
    assert await one.get("k", upstream) == b"v1"
    await asyncio.sleep(0.1)
    upstream.error = RuntimeError("upstream 502")
    with caplog.at_level(logging.WARNING, "shipgraph.cache"):
        assert await gather_all(20, lambda: one.get("k", upstream)) == [b"v1"] * 20
    assert upstream.calls == 2
    assert "serving its stale copy" in caplog.text and "upstream 502" in caplog.text
    upstream.error = None  # the stale copy was not stored as fresh: next get loads
    upstream.value = b"v2"
    assert await one.get("k", upstream) == b"v2"


async def test_failure_without_stale_copy_reaches_every_waiter(cache: Cache) -> None:
    upstream = Upstream(error=RuntimeError("upstream 502"))
    one = loader(cache)
    results = await asyncio.gather(
        *(one.get("k", upstream) for _ in range(50)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) and str(r) == "upstream 502" for r in results)
    assert upstream.calls == 1
    upstream.error = None  # nothing was cached: the next get loads again
    assert await one.get("k", upstream) == b"v1"
    assert upstream.calls == 2


async def test_stale_copy_expires_too(cache: Cache) -> None:
    upstream = Upstream(delay_s=0)
    one = loader(cache, ttl_s=0.03, stale_ttl_s=0.06)
    await one.get("k", upstream)
    await asyncio.sleep(0.1)
    upstream.error = RuntimeError("down")
    with pytest.raises(RuntimeError, match="down"):
        await one.get("k", upstream)


async def test_cancelled_caller_does_not_cancel_the_load(cache: Cache) -> None:
    upstream = Upstream(delay_s=0.05)
    one = loader(cache)
    impatient = asyncio.ensure_future(one.get("k", upstream))
    patient = asyncio.ensure_future(one.get("k", upstream))
    await upstream.started.wait()
    impatient.cancel()
    assert await patient == b"v1"
    assert upstream.calls == 1


async def test_lock_not_obtained_rereads_then_loads(make_cache: CacheFactory) -> None:
    cache = make_cache()
    upstream = Upstream(delay_s=0)
    impatient = CachedLoader(cache, ttl_s=60, stale_ttl_s=600, lock_wait_s=0.05)
    async with make_cache().lock("load:k", hold_s=5, wait_s=0):  # a stuck process
        assert await impatient.get("k", upstream) == b"v1"
    assert upstream.calls == 1
    assert await cache.get("fresh:k") == b"v1"  # and stored it


async def test_value_found_after_waiting_for_the_lock(make_cache: CacheFactory) -> None:
    cache, other = make_cache(), make_cache()
    upstream = Upstream(delay_s=0)

    async def other_process() -> None:
        async with other.lock("load:k", hold_s=5, wait_s=0):
            await asyncio.sleep(0.05)
            await other.set("fresh:k", b"theirs", 60)

    task = asyncio.ensure_future(other_process())
    await asyncio.sleep(0.01)
    assert await loader(cache).get("k", upstream) == b"theirs"
    await task
    assert upstream.calls == 0


def test_ttls_are_checked(cache: Cache) -> None:
    with pytest.raises(ValueError):
        CachedLoader(cache, ttl_s=0, stale_ttl_s=10)
    with pytest.raises(ValueError):
        CachedLoader(cache, ttl_s=10, stale_ttl_s=5)


# --- Redis down -------------------------------------------------------------------


async def test_redis_down_loads_every_time(
    down_cache: RedisCache, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = Upstream(delay_s=0)
    one = loader(down_cache)
    with caplog.at_level(logging.WARNING, "shipgraph.cache"):
        for _ in range(3):
            assert await one.get("k", upstream) == b"v1"
    assert upstream.calls == 3
    assert "loading k without it" in caplog.text


async def test_redis_down_still_single_flight(down_cache: RedisCache) -> None:
    upstream = Upstream()
    one = loader(down_cache)
    assert await gather_all(50, lambda: one.get("k", upstream)) == [b"v1"] * 50
    assert upstream.calls == 1


async def test_redis_down_failure_propagates(down_cache: RedisCache) -> None:
    upstream = Upstream(delay_s=0, error=RuntimeError("upstream 502"))
    with pytest.raises(RuntimeError, match="upstream 502"):
        await loader(down_cache).get("k", upstream)
