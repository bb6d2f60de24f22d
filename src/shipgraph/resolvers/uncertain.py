"""Bookings whose fate is unknown: the create was sent, no answer came back.

Such a booking is never sent again blindly. Right away, and before any later
create with the same reference, the carrier is asked for a booking with that
reference (``CarrierBase.find_booking``); only when it says there is none may the
create go out again. The mark is a record in the database (``mark_uncertain``),
shared by every process and kept through restarts of anything but the database.
"""

from __future__ import annotations

import contextlib

from shipgraph.domain import CarrierCode
from shipgraph.observability import get_logger
from shipgraph.store.base import ShipmentStore, StoreError

log = get_logger("shipgraph.resolvers.uncertain")


class UncertainBookings:
    def __init__(self, store: ShipmentStore) -> None:
        self._store = store

    async def mark(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        try:
            await self._store.mark_uncertain(tenant, carrier, reference)
        except StoreError:
            log.error("uncertain booking not marked", carrier=carrier.value, reference=reference)

    async def is_marked(self, tenant: str, carrier: CarrierCode, reference: str) -> bool:
        """True when unsure too: a store that cannot answer cannot clear a booking."""
        try:
            return await self._store.is_uncertain(tenant, carrier, reference)
        except StoreError:
            return True

    async def clear(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        with contextlib.suppress(StoreError):
            await self._store.clear_uncertain(tenant, carrier, reference)
