"""Cache tests; the helpers below count and pace the upstream calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Upstream:
    """A load function that counts its calls, takes ``delay_s``, and can be broken."""

    value: bytes = b"v1"
    delay_s: float = 0.05
    error: Exception | None = None
    calls: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self) -> bytes:
        self.calls += 1
        self.started.set()
        await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return self.value


async def gather_all(count: int, call: Callable[[], Awaitable[bytes]]) -> list[bytes]:
    return list(await asyncio.gather(*(call() for _ in range(count))))
