"""Per-request dataloaders: many lookups in one resolver pass become one store call."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from shipgraph.domain import Shipment
from shipgraph.store.base import ShipmentStore


class ShipmentLoader(DataLoader[str, Shipment | None]):
    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        super().__init__()
        self.loaded: dict[str, Shipment | None] = {}
        """What this request read, by id (what a cached answer depends on)."""
        self._store = store
        self._tenant = tenant

    async def batch_load_fn(self, ids: Sequence[str]) -> list[Shipment | None]:
        found = await self._store.get_many(self._tenant, list(ids))
        self.loaded.update(zip(ids, found, strict=True))
        return found


class Loaders:
    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        self.shipment = ShipmentLoader(store, tenant)
