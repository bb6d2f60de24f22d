"""The event bus protocol: publish ShipmentEvents, subscribe per tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from shipgraph.domain import ShipmentEvent

SUBSCRIBER_QUEUE_SIZE = 256


class SubscriberOverflow(Exception):
    """A subscriber fell so far behind that its queue filled; it is dropped."""


class EventBus(Protocol):
    async def publish(self, event: ShipmentEvent) -> None:
        """Deliver to every subscriber of the event's tenant, in any process that
        shares the backend. At most once: the store, not the bus, is the truth."""
        ...

    def subscribe(self, tenant: str) -> AbstractAsyncContextManager[AsyncIterator[ShipmentEvent]]:
        """``async with bus.subscribe(t) as events: async for e in events: ...``

        Events published after the context is entered are delivered in order. A
        subscriber whose bounded queue fills gets SubscriberOverflow from its iterator
        (the others are never blocked). Leaving the context releases everything the
        subscription held (tasks, Redis channel subscriptions)."""
        ...

    async def aclose(self) -> None: ...
