from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from shipgraph.cache import Cache, MemoryCache, RedisCache
from tests.support.redis_server import free_port

PREFIX = "test:cache"

CacheFactory = Callable[[], Cache]


@pytest.fixture
async def make_cache(backend: str | None) -> AsyncIterator[CacheFactory]:
    """Caches over one backing store, as separate processes have: on Redis each call
    gives a cache with a client of its own; in memory they are all the same cache."""
    made: list[Cache] = []
    shared = MemoryCache()

    def make() -> Cache:
        if backend is None:
            return shared
        cache = RedisCache.from_url(backend, prefix=PREFIX)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.aclose()


@pytest.fixture
def cache(make_cache: CacheFactory) -> Cache:
    return make_cache()


@pytest.fixture
async def down_cache() -> AsyncIterator[RedisCache]:
    """A Redis cache pointed at a loopback port nothing listens on."""
    cache = RedisCache.from_url(f"redis://127.0.0.1:{free_port()}/0", prefix=PREFIX)
    yield cache
    await cache.aclose()
