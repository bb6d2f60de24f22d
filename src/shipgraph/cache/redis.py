"""The Redis cache (redis-py asyncio): shared by every gateway process.

Keys (``P`` is the prefix, "shipgraph:cache" by default):

- ``P:val:<key>``: string, the cached bytes; PX = the ttl in milliseconds.
- ``P:lock:<key>``: string, the holder's random token; PX = hold_s in milliseconds.
  Taken with SET NX PX, released with a compare-and-delete script, so a holder whose
  hold expired cannot release the lock someone else has taken since.

Every Redis failure (connection refused or lost, timeout, or an error reply such as
READONLY or OOM) becomes ``CacheUnavailable``: a cache that misbehaves is bypassed,
not a reason to fail the request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shipgraph.cache.base import CacheUnavailable
from shipgraph.redis_pool import connect

logger = logging.getLogger("shipgraph.cache")

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_PREFIX = "shipgraph:cache"

# Polling for a held lock: first retry after 5 ms, doubling up to 50 ms.
_POLL_FIRST_S = 0.005
_POLL_MAX_S = 0.05

# KEYS: the key. ARGV: the value it must still hold. Returns 1 when deleted.
_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Turn Redis failures into CacheUnavailable (callers bypass the cache)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise CacheUnavailable(str(exc)) from exc

    return wrapper


def _ttl_ms(ttl_s: float) -> int:
    return max(1, round(ttl_s * 1000))


class RedisCache:
    def __init__(
        self, client: Redis, prefix: str = DEFAULT_PREFIX, *, owns_client: bool = False
    ) -> None:
        """``aclose`` closes the client only when ``owns_client`` (as from_url's is)."""
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._delete_if = client.register_script(_DELETE_IF)

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX, **client_options: Any) -> RedisCache:
        """A cache on its own client (``client_options`` go to ``redis_pool.connect``).

        Socket timeouts default to 2 s: a Redis that hangs should cost a request a
        bounded delay before the cache is bypassed, not the request itself.
        """
        client = connect(url, **client_options)
        return cls(client, prefix, owns_client=True)

    def _key(self, kind: str, key: str) -> str:
        return f"{self._prefix}:{kind}:{key}"

    # --- values ------------------------------------------------------------------

    @_reachable
    async def get(self, key: str) -> bytes | None:
        value: bytes | str | None = await self._client.get(self._key("val", key))
        return value.encode() if isinstance(value, str) else value

    @_reachable
    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Keep ``value`` for ``ttl_s`` seconds; a ttl of 0 or less deletes the key."""
        if ttl_s <= 0:
            await self._client.delete(self._key("val", key))
        else:
            await self._client.set(self._key("val", key), value, px=_ttl_ms(ttl_s))

    @_reachable
    async def delete(self, key: str) -> None:
        await self._client.delete(self._key("val", key))

    @_reachable
    async def delete_if(self, key: str, value: bytes) -> bool:
        return bool(await self._delete_if(keys=[self._key("val", key)], args=[value]))

    # --- locks -------------------------------------------------------------------

    def lock(self, key: str, *, hold_s: float, wait_s: float) -> AbstractAsyncContextManager[bool]:
        return self._lock(self._key("lock", key), hold_s, wait_s)

    @asynccontextmanager
    async def _lock(self, name: str, hold_s: float, wait_s: float) -> AsyncIterator[bool]:
        token = secrets.token_hex(16)
        held = await self._acquire(name, token, hold_s, wait_s)
        try:
            yield held
        finally:
            if held:
                await self._release(name, token)

    @_reachable
    async def _acquire(self, name: str, token: str, hold_s: float, wait_s: float) -> bool:
        deadline = time.monotonic() + wait_s
        delay = _POLL_FIRST_S
        while True:
            if await self._client.set(name, token, px=_ttl_ms(hold_s), nx=True):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, _POLL_MAX_S)

    async def _release(self, name: str, token: str) -> None:
        """Never raises: a lock that cannot be released expires after its hold."""
        try:
            await self._delete_if(keys=[name], args=[token])
        except (RedisError, OSError) as exc:
            logger.warning("cache lock %s not released (%s); it expires on its own", name, exc)

    # --- lifecycle ---------------------------------------------------------------

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
