"""Shipment storage: the ShipmentStore protocol and the SQL store (store.sql)."""

from shipgraph.store.base import (
    CorruptRecord,
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    InvalidCursor,
    SchemaBehind,
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
from shipgraph.store.sql import SqlShipmentStore

__all__ = [
    "CorruptRecord",
    "DuplicateShipment",
    "IdempotencyResult",
    "IdempotencyState",
    "InvalidCursor",
    "SchemaBehind",
    "ShipmentFilter",
    "ShipmentNotFound",
    "ShipmentPage",
    "ShipmentStore",
    "SqlShipmentStore",
    "StoreBusy",
    "StoreContended",
    "StoreError",
    "StoreUnavailable",
    "UnstorableShipment",
]
