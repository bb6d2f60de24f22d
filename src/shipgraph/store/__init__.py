"""Shipment storage: the ShipmentStore protocol and its memory and Redis backends."""

from shipgraph.store.base import (
    CorruptRecord,
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    InvalidCursor,
    ShipmentFilter,
    ShipmentNotFound,
    ShipmentPage,
    ShipmentStore,
    StoreBusy,
    StoreContended,
    StoreError,
    StoreUnavailable,
    UnstorableShipment,
)
from shipgraph.store.memory import MemoryShipmentStore
from shipgraph.store.redis import RedisShipmentStore

__all__ = [
    "CorruptRecord",
    "DuplicateShipment",
    "IdempotencyResult",
    "IdempotencyState",
    "InvalidCursor",
    "MemoryShipmentStore",
    "RedisShipmentStore",
    "ShipmentFilter",
    "ShipmentNotFound",
    "ShipmentPage",
    "ShipmentStore",
    "StoreBusy",
    "StoreContended",
    "StoreError",
    "StoreUnavailable",
    "UnstorableShipment",
]
