"""What only the Redis cache does: its key layout, and failing cleanly when Redis is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from shipgraph.cache import CacheUnavailable, RedisCache, build_cache
from shipgraph.cache.memory import MemoryCache
from tests.cache.conftest import PREFIX

pytestmark = pytest.mark.redis


@pytest.fixture
async def observer(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[RedisCache]:
    made = RedisCache.from_url(redis_url, prefix=PREFIX)
    yield made
    await made.aclose()


async def test_key_layout_and_millisecond_ttl(cache: RedisCache, observer: redis.Redis) -> None:
    await cache.set("a:b", b"v", 1.5)
    assert await observer.get(f"{PREFIX}:val:a:b") == b"v"
    assert 1400 < await observer.pttl(f"{PREFIX}:val:a:b") <= 1500
    async with cache.lock("a:b", hold_s=2.25, wait_s=0) as held:
        assert held
        token = await observer.get(f"{PREFIX}:lock:a:b")
        assert token is not None and len(token) == 32
        assert 2150 < await observer.pttl(f"{PREFIX}:lock:a:b") <= 2250
    assert await observer.exists(f"{PREFIX}:lock:a:b") == 0
    assert sorted(await observer.keys("*")) == [f"{PREFIX}:val:a:b".encode()]


async def test_default_prefix(redis_url: str, observer: redis.Redis) -> None:
    cache = build_cache(redis_url)
    assert isinstance(cache, RedisCache)
    try:
        await cache.set("k", b"v", 5)
        assert await observer.get("shipgraph:cache:val:k") == b"v"
    finally:
        await cache.aclose()
    assert isinstance(build_cache(None), MemoryCache)


async def test_a_foreign_lock_value_is_not_released(
    cache: RedisCache, observer: redis.Redis
) -> None:
    async with cache.lock("k", hold_s=5, wait_s=0) as held:
        assert held
        await observer.set(f"{PREFIX}:lock:k", b"someone else", px=5000)
    assert await observer.get(f"{PREFIX}:lock:k") == b"someone else"


async def test_shared_client_is_not_closed(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        await RedisCache(client).aclose()
        assert await client.ping()
    finally:
        await client.aclose()


async def test_down_redis_raises_cache_unavailable(down_cache: RedisCache) -> None:
    with pytest.raises(CacheUnavailable):
        await down_cache.get("k")
    with pytest.raises(CacheUnavailable):
        await down_cache.set("k", b"v", 5)
    with pytest.raises(CacheUnavailable):
        await down_cache.delete("k")
    with pytest.raises(CacheUnavailable):
        await down_cache.delete_if("k", b"v")
    with pytest.raises(CacheUnavailable):
        async with down_cache.lock("k", hold_s=5, wait_s=1):
            pass
    assert not await down_cache.ping()
