"""The Cache protocol and the two things built on it that carriers need.

- ``Cache``: bytes by key with a TTL, and a lock shared by every process that uses
  the same backend (Redis), so one process does an expensive refresh while the
  others wait for its result.
- ``CachedLoader`` (cache/loader.py): read-through with single flight (N concurrent
  identical misses, in one process or many, make one upstream call) and a stale
  copy served when the upstream fails.
- ``TokenCache`` (cache/tokens.py): a credential fetched once, kept until shortly
  before it expires, refreshed by one caller at a time, dropped on demand (a 403).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol, runtime_checkable


class CacheUnavailable(Exception):
    """The backend cannot be reached."""


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    def lock(self, key: str, *, hold_s: float, wait_s: float) -> AbstractAsyncContextManager[bool]:
        """``async with cache.lock(k, hold_s=10, wait_s=5) as held:`` — held is True
        when this caller got the lock within wait_s (it expires after hold_s if the
        holder dies), False when it gave up waiting."""
        ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SupportsDeleteIf(Protocol):
    """A cache that can drop a key only while it still holds a given value, atomically.

    Both backends here have it; ``TokenCache.invalidate`` uses it so that dropping an
    old token never drops the newer one another process has just stored.
    """

    async def delete_if(self, key: str, value: bytes) -> bool:
        """Delete ``key`` if its value is ``value``; True when it was deleted."""
        ...
