"""Courier positions for subscribers: one poll loop per shipment, shared.

All subscribers of the same shipment in this process share one loop that asks the
carrier every ``interval_s``; each subscriber keeps only the latest position (a
slow reader skips stale ones). The loop stops when the shipment is finished or the
last subscriber leaves. Transient carrier failures are skipped; a lasting one ends
the subscribers' streams with that error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from shipgraph.domain import TERMINAL_STATUSES, Courier, Shipment
from shipgraph.observability import get_logger

log = get_logger("shipgraph.events.courier")

FetchCourier = Callable[[Shipment], Awaitable[Courier | None]]
"""Ask the carrier where the courier is (None: no courier on the way)."""
LoadShipment = Callable[[Shipment], Awaitable[Shipment | None]]
"""Re-read the stored shipment, to stop once it is finished."""
IsTransient = Callable[[Exception], bool]

_END = object()


@dataclass
class _Feed:
    task: asyncio.Task[None] | None = None
    queues: set[asyncio.Queue[object]] = field(default_factory=set)
    latest: Courier | None = None


class CourierWatch:
    def __init__(
        self,
        interval_s: float,
        *,
        is_transient: IsTransient,
        max_failures: int = 5,
    ) -> None:
        self._interval_s = interval_s
        self._is_transient = is_transient
        self._max_failures = max_failures
        self._feeds: dict[str, _Feed] = {}

    def watching(self, shipment_id: str) -> int:
        """How many subscribers this process has for the shipment (for tests, metrics)."""
        feed = self._feeds.get(shipment_id)
        return len(feed.queues) if feed else 0

    @asynccontextmanager
    async def watch(
        self, shipment: Shipment, fetch: FetchCourier, reload: LoadShipment
    ) -> AsyncIterator[AsyncIterator[Courier]]:
        feed = self._feeds.setdefault(shipment.id, _Feed())
        queue: asyncio.Queue[object] = asyncio.Queue(maxsize=1)
        feed.queues.add(queue)
        if feed.latest is not None:
            queue.put_nowait(feed.latest)
        if feed.task is None or feed.task.done():
            feed.task = asyncio.create_task(
                self._poll(shipment, feed, fetch, reload), name=f"courier-poll-{shipment.id}"
            )
        try:
            yield _positions(queue)
        finally:
            feed.queues.discard(queue)
            if not feed.queues:
                self._feeds.pop(shipment.id, None)
                if feed.task is not None:
                    feed.task.cancel()
                    with suppress(asyncio.CancelledError):
                        await feed.task

    async def _poll(
        self, shipment: Shipment, feed: _Feed, fetch: FetchCourier, reload: LoadShipment
    ) -> None:
        failures = 0
        while True:
            current = await reload(shipment)
            if current is None or current.status in TERMINAL_STATUSES:
                _publish(feed, _END)
                return
            try:
                courier = await fetch(current)
                failures = 0
            except Exception as error:
                failures += 1
                if not self._is_transient(error) or failures >= self._max_failures:
                    _publish(feed, error)
                    return
                log.warning("courier poll failed", shipment=shipment.id, failures=failures)
            else:
                if courier is not None and courier != feed.latest:
                    feed.latest = courier
                    _publish(feed, courier)
            await asyncio.sleep(self._interval_s)

    async def aclose(self) -> None:
        for feed in list(self._feeds.values()):
            if feed.task is not None:
                feed.task.cancel()
            _publish(feed, _END)
        self._feeds.clear()


def _publish(feed: _Feed, item: object) -> None:
    """Give every subscriber ``item``, replacing a position it has not read yet."""
    for queue in feed.queues:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(item)


async def _positions(queue: asyncio.Queue[object]) -> AsyncIterator[Courier]:
    while True:
        item = await queue.get()
        if item is _END:
            return
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, Courier)
        yield item
