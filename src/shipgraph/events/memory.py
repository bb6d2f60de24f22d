"""An in-process event bus, and the local fan-out both backends share.

``LocalSubscription`` is one subscriber's bounded buffer and async iterator;
``LocalFanout`` routes an event to every active subscription under a key (a tenant
here, a Redis channel in ``redis.py``) and drops a subscription whose buffer is full
instead of ever waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from shipgraph.domain import ShipmentEvent
from shipgraph.events.base import SUBSCRIBER_QUEUE_SIZE, SubscriberOverflow

logger = logging.getLogger("shipgraph.events")

K = TypeVar("K", bound=Hashable)


class LocalSubscription:
    """One subscriber: a bounded FIFO of events, read as an async iterator.

    Events are only offered once ``active`` is set (the Redis backend activates a
    subscription when its SUBSCRIBE is confirmed). When an offer finds the buffer
    full the subscription is marked overflowed: its buffer is discarded and the next
    read raises SubscriberOverflow. After ``close`` the iterator yields what is still
    buffered, then stops.
    """

    def __init__(self, maxsize: int = SUBSCRIBER_QUEUE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: deque[ShipmentEvent] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self._overflowed = False
        self._closed = False
        self.active = False

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, event: ShipmentEvent) -> bool:
        """Buffer the event; False (and the subscription overflows) when it is full."""
        if self._closed or self._overflowed:
            return False
        if len(self._items) >= self._maxsize:
            self._overflowed = True
            self._items.clear()
            self._wake()
            return False
        self._items.append(event)
        self._wake()
        return True

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> LocalSubscription:
        return self

    async def __anext__(self) -> ShipmentEvent:
        while True:
            if self._overflowed:
                raise SubscriberOverflow(
                    f"subscriber fell more than {self._maxsize} events behind and was dropped"
                )
            if self._items:
                return self._items.popleft()
            if self._closed:
                raise StopAsyncIteration
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None


class LocalFanout(Generic[K]):
    """Subscriptions by key; delivers to the active ones and drops those that overflow."""

    def __init__(self) -> None:
        self._subscriptions: dict[K, set[LocalSubscription]] = {}

    def add(self, key: K, subscription: LocalSubscription) -> bool:
        """Register; True when it is the first subscription of the key."""
        members = self._subscriptions.get(key)
        if members is None:
            self._subscriptions[key] = {subscription}
            return True
        members.add(subscription)
        return False

    def remove(self, key: K, subscription: LocalSubscription) -> bool:
        """Unregister; True when it was registered and was the key's last one."""
        members = self._subscriptions.get(key)
        if members is None or subscription not in members:
            return False
        members.discard(subscription)
        if members:
            return False
        del self._subscriptions[key]
        return True

    def has_active(self, key: K) -> bool:
        return any(sub.active for sub in self._subscriptions.get(key, ()))

    def deliver(self, key: K, event: ShipmentEvent) -> bool:
        """Offer the event to every active subscription of the key.

        A subscription whose buffer is full is dropped (its iterator raises
        SubscriberOverflow). Returns True when that left the key without any
        subscription.
        """
        members = self._subscriptions.get(key)
        if not members:
            return False
        for subscription in list(members):
            if subscription.active and not subscription.offer(event):
                logger.warning("event subscriber of %r overflowed and was dropped", key)
                members.discard(subscription)
        if members:
            return False
        del self._subscriptions[key]
        return True

    def subscribed_keys(self) -> list[K]:
        return list(self._subscriptions)

    def count(self, key: K | None = None) -> int:
        if key is not None:
            return len(self._subscriptions.get(key, ()))
        return sum(len(members) for members in self._subscriptions.values())

    def close_all(self) -> None:
        for members in self._subscriptions.values():
            for subscription in members:
                subscription.close()
        self._subscriptions.clear()


class MemoryEventBus:
    """The EventBus of a single process: no I/O, the same delivery semantics."""

    def __init__(self) -> None:
        self._fanout: LocalFanout[str] = LocalFanout()
        self._closed = False

    async def publish(self, event: ShipmentEvent) -> None:
        if self._closed:
            raise RuntimeError("event bus is closed")
        self._fanout.deliver(event.shipment.tenant, event)
        # Let woken subscribers run, as a network round trip would.
        await asyncio.sleep(0)

    @asynccontextmanager
    async def subscribe(self, tenant: str) -> AsyncIterator[AsyncIterator[ShipmentEvent]]:
        if self._closed:
            raise RuntimeError("event bus is closed")
        subscription = LocalSubscription()
        subscription.active = True
        self._fanout.add(tenant, subscription)
        try:
            yield subscription
        finally:
            self._fanout.remove(tenant, subscription)
            subscription.close()

    def subscriber_count(self, tenant: str | None = None) -> int:
        """Subscriptions currently registered (of one tenant, or of all)."""
        return self._fanout.count(tenant)

    async def aclose(self) -> None:
        self._closed = True
        self._fanout.close_all()
