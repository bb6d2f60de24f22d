"""A carrier credential, fetched once and shared by every process until shortly
before it expires.

Keys it uses in the cache, for the TokenCache's ``key``:

- ``<key>``: the token (UTF-8), kept until ``refresh_margin_s`` before its expiry;
- lock ``refresh:<key>``: held by the one process fetching a new token.

A missing token is fetched once however many callers want it, with the same single
flight as ``CachedLoader``: one flight per process, one fetch across processes (the
lock's holder re-reads the cache first). A failed fetch is not cached: every caller
waiting on it gets its exception, the next call tries again. ``invalidate(token)``
(after a 401/403) drops the cached token only if it is still that token.

The token is a secret: it is never logged, nor put into exception messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from shipgraph.cache._flight import SingleFlight
from shipgraph.cache.base import Cache, CacheUnavailable, SupportsDeleteIf

logger = logging.getLogger("shipgraph.cache")

Fetch = Callable[[], Awaitable[tuple[str, datetime]]]


class TokenCache:
    def __init__(
        self,
        cache: Cache,
        *,
        key: str,
        refresh_margin_s: float = 300,
        lock_hold_s: float = 30,
        lock_wait_s: float = 10,
    ) -> None:
        self._cache = cache
        self._key = key
        self._refresh_margin_s = refresh_margin_s
        self._lock_hold_s = lock_hold_s
        self._lock_wait_s = lock_wait_s
        self._flights: SingleFlight[None, str] = SingleFlight()

    def __repr__(self) -> str:
        return f"TokenCache(key={self._key!r})"

    async def get(self, fetch: Fetch) -> str:
        """The cached token, else a new one from ``fetch()`` (token, aware expiry)."""
        return await self._flights.run(None, lambda: self._fill(fetch))

    async def invalidate(self, token: str) -> None:
        """Drop the cached token if it is still ``token`` (a newer one is kept)."""
        value = token.encode()
        try:
            if isinstance(self._cache, SupportsDeleteIf):
                await self._cache.delete_if(self._key, value)
            elif await self._cache.get(self._key) == value:  # pragma: no cover
                await self._cache.delete(self._key)  # not atomic: no better on this cache
        except CacheUnavailable as exc:
            logger.warning("cache unavailable (%s); token %s not invalidated", exc, self._key)

    async def _fill(self, fetch: Fetch) -> str:
        async with AsyncExitStack() as stack:
            try:
                cached = await self._cache.get(self._key)
                if cached is not None:
                    return cached.decode()
                await stack.enter_async_context(
                    self._cache.lock(
                        "refresh:" + self._key,
                        hold_s=self._lock_hold_s,
                        wait_s=self._lock_wait_s,
                    )
                )
                cached = await self._cache.get(self._key)  # another process's refresh?
                if cached is not None:
                    return cached.decode()
            except CacheUnavailable as exc:
                logger.warning("cache unavailable (%s); fetching %s without it", exc, self._key)
                token, _ = await self._fetch(fetch)
                return token
            return await self._fetch_and_store(fetch)  # the lock (if held) is kept

    async def _fetch_and_store(self, fetch: Fetch) -> str:
        token, expires_at = await self._fetch(fetch)
        ttl_s = (expires_at - datetime.now(UTC)).total_seconds() - self._refresh_margin_s
        if ttl_s <= 0:
            logger.warning(
                "token %s expires at %s, within the refresh margin: not cached",
                self._key,
                expires_at.isoformat(),
            )
            return token
        try:
            await self._cache.set(self._key, token.encode(), ttl_s)
        except CacheUnavailable as exc:
            logger.warning("cache unavailable (%s); token %s not stored", exc, self._key)
        else:
            logger.info("token %s refreshed, expires at %s", self._key, expires_at.isoformat())
        return token

    async def _fetch(self, fetch: Fetch) -> tuple[str, datetime]:
        token, expires_at = await fetch()
        if expires_at.tzinfo is None or expires_at.utcoffset() is None:
            raise ValueError(f"token {self._key}: its expiry must be an aware datetime")
        return token, expires_at
