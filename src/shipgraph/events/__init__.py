"""Shipment events: publish on change, subscribe per tenant (memory or Redis)."""

from shipgraph.events.base import SUBSCRIBER_QUEUE_SIZE, EventBus, SubscriberOverflow
from shipgraph.events.memory import MemoryEventBus
from shipgraph.events.redis import RedisEventBus, from_url

__all__ = [
    "SUBSCRIBER_QUEUE_SIZE",
    "EventBus",
    "MemoryEventBus",
    "RedisEventBus",
    "SubscriberOverflow",
    "from_url",
]
