"""Caching shared by every gateway process: see base.py for what is here and why."""

from __future__ import annotations

from shipgraph.cache.base import Cache, CacheUnavailable, SupportsDeleteIf
from shipgraph.cache.loader import CachedLoader
from shipgraph.cache.memory import MemoryCache
from shipgraph.cache.redis import RedisCache
from shipgraph.cache.tokens import TokenCache


def build_cache(redis_url: str | None) -> Cache:
    """The Redis cache at ``redis_url`` (on a client of its own), else an in-process one."""
    if redis_url is None:
        return MemoryCache()
    return RedisCache.from_url(redis_url)


__all__ = [
    "Cache",
    "CacheUnavailable",
    "CachedLoader",
    "MemoryCache",
    "RedisCache",
    "SupportsDeleteIf",
    "TokenCache",
    "build_cache",
]
