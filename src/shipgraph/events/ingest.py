"""Carrier updates into stored shipments: merge, store, then publish.

Everything that learns something from a carrier (webhooks, refreshes, cancels)
goes through ``ShipmentUpdater`` so merging, versioning, orphans and events work
the same way for all of them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from shipgraph.domain import Shipment, ShipmentEvent, TrackingUpdate, apply_update
from shipgraph.events.base import EventBus
from shipgraph.observability import get_logger
from shipgraph.store.base import ShipmentStore

log = get_logger("shipgraph.events.ingest")


class Outcome(enum.Enum):
    APPLIED = "applied"
    """Stored (and published when it changed something)."""
    DUPLICATE = "duplicate"
    """Already applied, or it changes nothing."""
    ORPHAN = "orphan"
    """No such shipment yet: kept, and applied when the shipment is stored."""


class ShipmentUpdater:
    def __init__(self, store: ShipmentStore, bus: EventBus, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock

    async def apply(self, shipment: Shipment, update: TrackingUpdate) -> tuple[Shipment, bool]:
        """Merge one update into the stored shipment; True when it changed it."""
        events: list[ShipmentEvent] = []

        def mutate(current: Shipment) -> Shipment | None:
            events.clear()
            merged, event = apply_update(current, update, self._clock())
            if event is None:
                return None
            events.append(event)
            return merged

        stored = await self._store.update(shipment.tenant, shipment.id, mutate, event=update)
        if not events:
            return stored, False
        await self.publish(replace(events[0], shipment=stored))
        return stored, True

    async def ingest(self, update: TrackingUpdate) -> Outcome:
        """A carrier's update addressed by carrier id or tracking number (a webhook)."""
        shipment = await self._locate(update)
        if shipment is None:
            await self._store.add_orphan(update)
            # The booking may have been stored, and its orphans adopted, between the
            # lookup and the add: then this one would wait for nobody. Whichever of the
            # two comes second sees the other (create before adopt, add before this).
            shipment = await self._locate(update)
            if shipment is None:
                return Outcome.ORPHAN
            await self.adopt_orphans(shipment)
            return Outcome.APPLIED
        _, changed = await self.apply(shipment, update)
        return Outcome.APPLIED if changed else Outcome.DUPLICATE

    async def adopt_orphans(self, shipment: Shipment) -> Shipment:
        """Apply the updates that arrived before the shipment was stored."""
        orphans = await self._store.take_orphans(
            shipment.carrier, shipment.carrier_shipment_id, shipment.tracking_number
        )
        for update in orphans:
            if _names_another(update, shipment):
                # Kept under the same tracking number, but for another carrier id:
                # back it goes, for the shipment it names.
                await self._store.add_orphan(update)
                continue
            shipment, _ = await self.apply(shipment, update)
        return shipment

    async def publish(self, event: ShipmentEvent) -> None:
        """Publish, never failing the caller: the store already has the truth and the
        bus is at-most-once (a client that reconnects re-reads the shipment)."""
        try:
            await self._bus.publish(event)
        except Exception:
            log.exception("event not published", shipment=event.shipment.id)

    async def _locate(self, update: TrackingUpdate) -> Shipment | None:
        """The carrier id decides when the update names one. A tracking number need not
        be unique (Borzo's order_name is a short id that repeats), so it only locates
        updates that name nothing else."""
        if update.carrier_shipment_id is not None:
            return await self._store.find_by_carrier_id(update.carrier, update.carrier_shipment_id)
        if update.tracking_number is not None:
            return await self._store.find_by_tracking_number(update.carrier, update.tracking_number)
        return None


def _names_another(update: TrackingUpdate, shipment: Shipment) -> bool:
    return update.carrier_shipment_id not in (None, shipment.carrier_shipment_id)
