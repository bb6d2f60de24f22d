"""Per-request dataloaders: many lookups in one resolver pass become one store call."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from shipgraph.domain import Shipment
from shipgraph.store.base import ShipmentStore


class ShipmentLoader(DataLoader[str, Shipment | None]):
    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        super().__init__()
        self._store = store
        self._tenant = tenant

    async def batch_load_fn(self, ids: Sequence[str]) -> list[Shipment | None]:
        return await self._store.get_many(self._tenant, list(ids))


class Loaders:
    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        self.shipment = ShipmentLoader(store, tenant)
