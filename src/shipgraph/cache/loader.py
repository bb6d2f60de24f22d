"""Read-through caching with single flight and a stale copy for when upstream fails.

Keys it uses in the cache, for a caller's ``key``:

- ``fresh:<key>``: the value, kept ``ttl_s``;
- ``stale:<key>``: the same value, kept ``stale_ttl_s`` (served only when a load fails);
- lock ``load:<key>``: held by the one process loading the key.

A miss is filled once however many callers want it: callers in this process share
one flight (one task per key; the followers make no cache or lock calls of their
own), and the flights of different processes meet at the lock: the process that
gets it re-reads the cache (another may have filled it), loads, and stores; the
others wait for the lock, then find the value. A process that cannot get the lock
within ``lock_wait_s`` re-reads the cache and, still missing, loads by itself.

When the cache itself fails (``CacheUnavailable``), loads bypass it (still one per
key at a time in this process), so reads keep working while Redis is down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from shipgraph.cache._flight import SingleFlight
from shipgraph.cache.base import Cache, CacheUnavailable

logger = logging.getLogger("shipgraph.cache")

Load = Callable[[], Awaitable[bytes]]


class CachedLoader:
    def __init__(
        self,
        cache: Cache,
        *,
        ttl_s: float,
        stale_ttl_s: float,
        lock_hold_s: float = 30,
        lock_wait_s: float = 10,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, not {ttl_s}")
        if stale_ttl_s < ttl_s:
            raise ValueError(f"stale_ttl_s ({stale_ttl_s}) is shorter than ttl_s ({ttl_s})")
        self._cache = cache
        self._ttl_s = ttl_s
        self._stale_ttl_s = stale_ttl_s
        self._lock_hold_s = lock_hold_s
        self._lock_wait_s = lock_wait_s
        self._flights: SingleFlight[str, bytes] = SingleFlight()

    async def get(self, key: str, load: Load) -> bytes:
        """The cached value of ``key``, else ``load()``'s (stored for the next callers).

        If ``load`` raises, the stale copy is returned when there is one; otherwise
        every caller waiting for this load gets its exception.
        """
        return await self._flights.run(key, lambda: self._fill(key, load))

    async def _fill(self, key: str, load: Load) -> bytes:
        async with AsyncExitStack() as stack:
            try:
                cached = await self._cache.get(_fresh(key))
                if cached is not None:
                    return cached
                await stack.enter_async_context(
                    self._cache.lock(
                        "load:" + key, hold_s=self._lock_hold_s, wait_s=self._lock_wait_s
                    )
                )
                # Held: another process may have filled it before we got the lock.
                # Not held: its holder may have filled it; else we load ourselves.
                cached = await self._cache.get(_fresh(key))
                if cached is not None:
                    return cached
            except CacheUnavailable as exc:
                logger.warning("cache unavailable (%s); loading %s without it", exc, key)
                return await load()
            return await self._load_and_store(key, load)  # the lock (if held) is kept

    async def _load_and_store(self, key: str, load: Load) -> bytes:
        try:
            value = await load()
        except Exception as exc:
            stale = await self._stale(key)
            if stale is None:
                raise
            logger.warning("loading %s failed (%r); serving its stale copy", key, exc)
            return stale
        try:
            await self._cache.set(_fresh(key), value, self._ttl_s)
            await self._cache.set(_stale(key), value, self._stale_ttl_s)
        except CacheUnavailable as exc:
            logger.warning("cache unavailable (%s); %s loaded but not stored", exc, key)
        return value

    async def _stale(self, key: str) -> bytes | None:
        try:
            return await self._cache.get(_stale(key))
        except CacheUnavailable:
            return None


def _fresh(key: str) -> str:
    return "fresh:" + key


def _stale(key: str) -> str:
    return "stale:" + key
