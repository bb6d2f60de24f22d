"""What every simulator's state shares: auto-advance in the background, and a clean
stop of it and of the webhook sender (a mounted app's lifespan never runs, so the
app starts it on the first request and the parent app enters ``running()``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shipgraph.sandbox.webhooks import WebhookSender


class Simulation:
    def __init__(self, auto_advance_s: float | None, sender: WebhookSender) -> None:
        self.auto_advance_s = auto_advance_s
        self._sender = sender
        self._ticker: asyncio.Task[None] | None = None

    async def advance_due(self, every_s: float, share: float) -> None:
        """Move what is due; ``share`` is the part of ``every_s`` one tick covers."""
        raise NotImplementedError

    def ensure_started(self) -> None:
        """Start auto-advance if configured (idempotent)."""
        if self.auto_advance_s is None:
            return
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._auto_advance(self.auto_advance_s))

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self._sender.aclose()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan; a parent app mounting this one may enter it from its own."""
        self.ensure_started()
        try:
            yield
        finally:
            await self.stop()

    async def _auto_advance(self, every_s: float) -> None:
        tick = min(max(every_s / 4, 0.01), 1.0)
        while True:
            await asyncio.sleep(tick)
            await self.advance_due(every_s, tick / every_s)
