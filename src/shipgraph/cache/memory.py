"""The in-process cache: for tests, the sandbox, and single-process deployments.

Values expire like Redis keys (checked on read, swept now and then on write). Locks
are per key and behave like the Redis ones: a hold expires after ``hold_s`` even if
its holder never releases it, and only the holder's own release frees it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

_SWEEP_EVERY = 1024  # writes between two sweeps of expired values


@dataclass(slots=True)
class _Entry:
    value: bytes
    expires_at: float


@dataclass(slots=True, eq=False)
class _Hold:
    expires_at: float
    released: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryCache:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._holds: dict[str, _Hold] = {}
        self._writes = 0

    # --- values ------------------------------------------------------------------

    async def get(self, key: str) -> bytes | None:
        entry = self._live(key)
        return entry.value if entry is not None else None

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        """Keep ``value`` for ``ttl_s`` seconds; a ttl of 0 or less deletes the key."""
        if ttl_s <= 0:
            self._entries.pop(key, None)
            return
        self._entries[key] = _Entry(bytes(value), time.monotonic() + _ttl_ms(ttl_s) / 1000)
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._sweep()

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def delete_if(self, key: str, value: bytes) -> bool:
        entry = self._live(key)
        if entry is None or entry.value != value:
            return False
        del self._entries[key]
        return True

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= time.monotonic():
            del self._entries[key]
            return None
        return entry

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[key]

    # --- locks -------------------------------------------------------------------

    def lock(self, key: str, *, hold_s: float, wait_s: float) -> AbstractAsyncContextManager[bool]:
        return self._lock(key, hold_s, wait_s)

    @asynccontextmanager
    async def _lock(self, key: str, hold_s: float, wait_s: float) -> AsyncIterator[bool]:
        mine = await self._acquire(key, hold_s, wait_s)
        try:
            yield mine is not None
        finally:
            if mine is not None:
                if self._holds.get(key) is mine:
                    del self._holds[key]
                mine.released.set()

    async def _acquire(self, key: str, hold_s: float, wait_s: float) -> _Hold | None:
        deadline = time.monotonic() + wait_s
        while True:
            now = time.monotonic()
            held = self._holds.get(key)
            if held is None or held.expires_at <= now:
                mine = self._holds[key] = _Hold(now + _ttl_ms(hold_s) / 1000)
                return mine
            if now >= deadline:
                return None
            try:
                async with asyncio.timeout(min(deadline, held.expires_at) - now):
                    await held.released.wait()
            except TimeoutError:
                pass

    # --- lifecycle ---------------------------------------------------------------

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass


def _ttl_ms(ttl_s: float) -> int:
    """Seconds to whole milliseconds, at least 1 (as the Redis backend rounds)."""
    return max(1, round(ttl_s * 1000))
