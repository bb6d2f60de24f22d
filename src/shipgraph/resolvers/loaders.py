"""Per-request dataloaders: many lookups in one resolver pass become one store call."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from shipgraph.domain import Shipment
from shipgraph.store.base import CorruptRecord, ShipmentStore


class ShipmentLoader(DataLoader[str, Shipment | None]):
    """An unreadable stored shipment fails its own load (CorruptRecord, answered as
    DATA_CORRUPTED), not the other loads of the batch."""

    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        super().__init__()
        self.loaded: dict[str, Shipment | None] = {}
        """What this request read, by id (what a cached answer depends on)."""
        self._store = store
        self._tenant = tenant

    # aiodataloader fails the one load whose value is an Exception, though its
    # annotation only names the value type.
    async def batch_load_fn(  # type: ignore[override]
        self, ids: Sequence[str]
    ) -> list[Shipment | CorruptRecord | None]:
        try:
            found = await self._store.get_many(self._tenant, list(ids))
        except CorruptRecord as corrupt:
            self.loaded.update(zip(ids, corrupt.found, strict=True))
            unreadable = set(corrupt.shipment_ids)
            return [
                CorruptRecord([i]) if i in unreadable else shipment
                for i, shipment in zip(ids, corrupt.found, strict=True)
            ]
        self.loaded.update(zip(ids, found, strict=True))
        return list(found)


class Loaders:
    def __init__(self, store: ShipmentStore, tenant: str) -> None:
        self.shipment = ShipmentLoader(store, tenant)
