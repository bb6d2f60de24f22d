"""Bookings whose fate is unknown: the create was sent, no answer came back.

Such a booking is never sent again blindly. Right away, and before any later
create with the same reference, the carrier is asked for a booking with that
reference (``CarrierBase.find_booking``); only when it says there is none may the
create go out again. The mark lives in the cache, shared by every process.
"""

from __future__ import annotations

import contextlib
import hashlib

from shipgraph.cache.base import Cache, CacheUnavailable
from shipgraph.domain import CarrierCode
from shipgraph.observability import get_logger

log = get_logger("shipgraph.resolvers.uncertain")

MARK_TTL_S = 7 * 86_400


class UncertainBookings:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    @staticmethod
    def _key(tenant: str, carrier: CarrierCode, reference: str) -> str:
        digest = hashlib.sha256(f"{tenant}\0{reference}".encode()).hexdigest()[:32]
        return f"uncertain-booking:{carrier.value}:{digest}"

    async def mark(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        try:
            await self._cache.set(self._key(tenant, carrier, reference), b"1", MARK_TTL_S)
        except CacheUnavailable:
            log.error("uncertain booking not marked", carrier=carrier.value, reference=reference)

    async def is_marked(self, tenant: str, carrier: CarrierCode, reference: str) -> bool:
        """True when unsure too: a cache that cannot answer cannot clear a booking."""
        try:
            return await self._cache.get(self._key(tenant, carrier, reference)) is not None
        except CacheUnavailable:
            return True

    async def clear(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        with contextlib.suppress(CacheUnavailable):
            await self._cache.delete(self._key(tenant, carrier, reference))
