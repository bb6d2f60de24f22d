"""In-process single flight: concurrent callers for one key share one running task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SingleFlight(Generic[K, T]):
    """``await flights.run(key, work)``: the first caller starts ``work()`` as a task,
    callers arriving while it runs await the same task; its result or exception goes
    to every one of them. A caller's cancellation does not cancel the work (the others
    still want it); the next call after it finished starts anew."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Task[T]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: K, work: Callable[[], Awaitable[T]]) -> T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(self._work(key, work))
            task.add_done_callback(_retrieve)
            self._running[key] = task
        return await asyncio.shield(task)

    async def _work(self, key: K, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        finally:
            # Leave before the result is handed out, so no later caller joins a
            # finished flight (and gets an old exception).
            if self._running.get(key) is asyncio.current_task():
                del self._running[key]


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark the exception seen even when every caller was cancelled meanwhile."""
    if not task.cancelled():
        task.exception()
