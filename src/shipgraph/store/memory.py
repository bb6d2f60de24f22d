"""The in-process store: for tests, the sandbox, and single-process deployments.

It keeps shipments encoded, exactly as Redis does, so both backends hand out
fresh values with the same JSON round trip behind them.
"""

from __future__ import annotations

import asyncio
import bisect
import builtins
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from shipgraph.codec import stamp_version
from shipgraph.domain import CarrierCode, Shipment, TrackingUpdate
from shipgraph.store._common import (
    IN_PROGRESS_TTL_S,
    ORPHAN_TTL_S,
    IdempotencyRecord,
    active_moves,
    carrier_id_key,
    carrier_key,
    check_claim,
    check_first,
    fresh_ms,
    idempotency_key,
    is_active,
    lookup_keys,
    make_page,
    next_version,
    oldest_first_once,
    orphan_keys,
    owned,
    owned_batch,
    read_shipment,
    readable_shipment,
    readable_update,
    reindex,
    tracking_key,
    write_shipment,
    write_update,
)
from shipgraph.store.base import (
    IDEMPOTENCY_TTL_S,
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    Mutator,
    ShipmentFilter,
    ShipmentNotFound,
    ShipmentPage,
)
from shipgraph.store.cursors import listing_bounds, position_of


@dataclass(slots=True)
class _Expiring:
    value: str
    expires_at: float


@dataclass(slots=True)
class _Orphans:
    """The orphans under one key; like a Redis key, each add keeps it 7 more days."""

    expires_at: float
    entries: dict[bytes, int] = field(default_factory=dict)  # encoded update -> seq


class MemoryShipmentStore:
    def __init__(
        self,
        in_progress_ttl_s: float = IN_PROGRESS_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._in_progress_ttl_s = in_progress_ttl_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._docs: dict[str, bytes] = {}
        self._positions: dict[str, list[str]] = {}  # tenant -> sorted positions
        self._lookup: dict[str, str] = {}  # carrier / tracking key -> shipment id
        self._active: dict[CarrierCode, dict[str, int]] = {}  # -> shipment id -> fresh ms
        self._idempotency: dict[str, _Expiring] = {}
        self._orphans: dict[str, _Orphans] = {}
        self._orphan_seq = 0

    # --- shipments ---------------------------------------------------------------

    async def create(self, shipment: Shipment) -> Shipment:
        async with self._lock:
            if shipment.id in self._docs or carrier_key(shipment) in self._lookup:
                raise DuplicateShipment(shipment.id)
            stored = replace(shipment, version=1)
            self._docs[shipment.id] = write_shipment(stored)
            bisect.insort(self._positions.setdefault(shipment.tenant, []), position_of(stored))
            for key in lookup_keys(stored):
                self._lookup[key] = stored.id
            if is_active(stored):
                self._active.setdefault(stored.carrier, {})[stored.id] = fresh_ms(stored.updated_at)
            return stored

    async def get(self, tenant: str, shipment_id: str) -> Shipment | None:
        return owned(tenant, shipment_id, self._docs.get(shipment_id))

    async def get_many(self, tenant: str, shipment_ids: Sequence[str]) -> list[Shipment | None]:
        return owned_batch(tenant, shipment_ids, [self._docs.get(i) for i in shipment_ids])

    async def versions(self, tenant: str, shipment_ids: Sequence[str]) -> list[int | None]:
        raws = [self._docs.get(shipment_id) for shipment_id in shipment_ids]
        return [None if raw is None else stamp_version(raw, tenant) for raw in raws]

    async def find_by_carrier_id(
        self, carrier: CarrierCode, carrier_shipment_id: str
    ) -> Shipment | None:
        return self._find(carrier_id_key(carrier, carrier_shipment_id))

    async def find_by_tracking_number(
        self, carrier: CarrierCode, tracking_number: str
    ) -> Shipment | None:
        return self._find(tracking_key(carrier, tracking_number))

    def _find(self, key: str) -> Shipment | None:
        shipment_id = self._lookup.get(key)
        raw = self._docs.get(shipment_id) if shipment_id is not None else None
        return read_shipment(shipment_id, raw) if shipment_id is not None and raw else None

    async def update(self, tenant: str, shipment_id: str, mutate: Mutator) -> Shipment:
        async with self._lock:
            current = await self.get(tenant, shipment_id)
            if current is None:
                raise ShipmentNotFound(shipment_id)
            stored = next_version(current, mutate(current))
            if stored is None:
                return current
            encoded = write_shipment(stored)  # first: it may refuse what cannot be stored
            self._reindex(current, stored)  # and this a taken carrier id
            self._docs[shipment_id] = encoded
            self._reindex_active(current, stored)
            return stored

    def _reindex(self, old: Shipment, new: Shipment) -> None:
        moved = lookup_keys(old) ^ lookup_keys(new)
        added, dropped = reindex(old, new, {key: self._lookup.get(key) for key in moved})
        for key in dropped:
            del self._lookup[key]
        for key in added:
            self._lookup[key] = new.id

    def _reindex_active(self, old: Shipment, new: Shipment) -> None:
        keep, gone = active_moves(old, new)
        for carrier in gone:
            self._active.get(carrier, {}).pop(new.id, None)
        if keep is not None:
            index = self._active.setdefault(keep, {})
            index[new.id] = max(index.get(new.id, 0), fresh_ms(new.updated_at))

    async def list(
        self,
        tenant: str,
        first: int,
        after: str | None = None,
        filter: ShipmentFilter | None = None,
    ) -> ShipmentPage:
        check_first(first)
        found: list[tuple[str, Shipment]] = []
        for pos, shipment in self._walk(tenant, after, filter):
            if len(found) > first:
                break
            if filter is None or filter.matches(shipment):
                found.append((pos, shipment))
        return make_page(found, first)

    def _walk(
        self, tenant: str, after: str | None, filter: ShipmentFilter | None
    ) -> Iterator[tuple[str, Shipment]]:
        """The tenant's (position, shipment)s newest first, within the listing's bounds."""
        created_after = filter.created_after if filter else None
        created_before = filter.created_before if filter else None
        upper, lower = listing_bounds(after, created_after, created_before)
        positions = self._positions.get(tenant, [])
        stop = len(positions) if upper is None else bisect.bisect_left(positions, upper)
        start = 0 if lower is None else bisect.bisect_left(positions, lower)
        for pos in reversed(positions[start:stop]):
            shipment_id = pos.partition(":")[2]
            shipment = readable_shipment(shipment_id, self._docs[shipment_id])
            if shipment is not None:  # an unreadable one is logged and left out
                yield pos, shipment

    # --- tracking polls ----------------------------------------------------------

    async def claim_due(
        self, carrier: CarrierCode, *, now: datetime, interval_s: float, limit: int
    ) -> builtins.list[Shipment]:
        check_claim(limit, interval_s)
        now_ms = fresh_ms(now)
        due_ms = now_ms - int(interval_s * 1000)
        async with self._lock:
            index = self._active.get(carrier, {})
            due = sorted((fresh, sid) for sid, fresh in index.items() if fresh <= due_ms)
            claimed = [sid for _, sid in due[:limit]]
            for sid in claimed:
                index[sid] = now_ms
            found = [readable_shipment(sid, self._docs[sid]) for sid in claimed]
            return [shipment for shipment in found if shipment is not None]

    # --- idempotency -------------------------------------------------------------

    async def reserve_idempotency(
        self, tenant: str, key: str, request_hash: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> IdempotencyResult:
        name = idempotency_key(tenant, key)
        async with self._lock:
            held = self._live(self._idempotency, name)
            if held is not None:
                return IdempotencyRecord.decode(held.value).answer(request_hash)
            ttl = min(self._in_progress_ttl_s, ttl_s)
            record = IdempotencyRecord(completed=False, request_hash=request_hash)
            self._idempotency[name] = _Expiring(record.encode(), self._clock() + ttl)
            return IdempotencyResult(IdempotencyState.RESERVED)

    async def complete_idempotency(
        self, tenant: str, key: str, shipment_id: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> None:
        name = idempotency_key(tenant, key)
        async with self._lock:
            held = self._live(self._idempotency, name)
            request_hash = IdempotencyRecord.decode(held.value).request_hash if held else None
            record = IdempotencyRecord(True, request_hash, shipment_id)
            self._idempotency[name] = _Expiring(record.encode(), self._clock() + ttl_s)

    async def release_idempotency(self, tenant: str, key: str) -> None:
        async with self._lock:
            self._idempotency.pop(idempotency_key(tenant, key), None)

    def _live(self, entries: dict[str, _Expiring], name: str) -> _Expiring | None:
        entry = entries.get(name)
        if entry is not None and entry.expires_at <= self._clock():
            del entries[name]
            return None
        return entry

    # --- orphans -----------------------------------------------------------------

    async def add_orphan(self, update: TrackingUpdate) -> None:
        encoded = write_update(update)
        async with self._lock:
            self._orphan_seq += 1
            expires_at = self._clock() + ORPHAN_TTL_S
            for key in orphan_keys(update):
                orphans = self._orphans.get(key)
                if orphans is None or orphans.expires_at <= self._clock():
                    orphans = self._orphans[key] = _Orphans(expires_at)
                orphans.expires_at = expires_at
                orphans.entries.setdefault(encoded, self._orphan_seq)

    async def take_orphans(
        self, carrier: CarrierCode, carrier_shipment_id: str | None, tracking_number: str | None
    ) -> builtins.list[TrackingUpdate]:
        probe = TrackingUpdate(carrier, "", carrier_shipment_id, tracking_number)
        async with self._lock:
            now = self._clock()
            taken = [self._orphans.pop(key, None) for key in orphan_keys(probe)]
            entries = [
                (seq, encoded)
                for orphans in taken
                if orphans is not None and orphans.expires_at > now
                for encoded, seq in orphans.entries.items()
            ]
            updates = []
            for seq, encoded in entries:
                update = readable_update(encoded)
                if update is not None:
                    updates.append((seq, update))
                    self._forget(encoded, update)
        return oldest_first_once(updates)

    def _forget(self, encoded: bytes, update: TrackingUpdate) -> None:
        """Drop a taken update's copy under its other key (if that was not taken)."""
        for key in orphan_keys(update):
            orphans = self._orphans.get(key)
            if orphans is not None:
                orphans.entries.pop(encoded, None)

    # --- lifecycle ---------------------------------------------------------------

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        pass
