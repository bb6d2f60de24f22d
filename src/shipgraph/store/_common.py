"""The store's rules apart from SQL: encoding and reading records, versions, pages,
idempotency answers and the update loop."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shipgraph.codec import (
    Undecodable,
    Unencodable,
    decode_shipment,
    decode_update,
    encode_shipment,
    encode_update,
    stamp_tenant,
)
from shipgraph.domain import (
    TERMINAL_STATUSES,
    CarrierCode,
    Shipment,
    ShipmentStatus,
    TrackingUpdate,
)
from shipgraph.observability import STORE_CONTENDED, get_logger
from shipgraph.store._keyed_lock import KeyedLocks
from shipgraph.store.base import (
    CorruptRecord,
    IdempotencyResult,
    IdempotencyState,
    ShipmentPage,
    StoreContended,
    StoreError,
    UnstorableShipment,
)
from shipgraph.store.cursors import encode_cursor

log = get_logger("shipgraph.store")

# An update of one shipment: updates from this process wait their turn (a lock per
# shipment), so only writers in other processes can make its compare-and-set fail;
# those conflicts are retried a bounded number of times with jittered backoff.
UPDATE_TRIES = 8
UPDATE_BACKOFF_FIRST_S = 0.005
UPDATE_BACKOFF_MAX_S = 0.2
UPDATE_WAIT_S = 10.0
"""The longest an update waits for its turn and its tries, all told."""
RETRY_AFTER_S = 1


async def update_in_turn(
    locks: KeyedLocks, shipment_id: str, attempt: Callable[[], Awaitable[Shipment | None]]
) -> Shipment:
    """``attempt`` (one compare-and-set: None when another writer saved first) in this
    process's turn for the shipment, retried; StoreContended when it never wins."""
    try:
        async with asyncio.timeout(UPDATE_WAIT_S), locks.hold(shipment_id):
            delay = UPDATE_BACKOFF_FIRST_S
            for tries in range(1, UPDATE_TRIES + 1):
                done = await attempt()
                if done is not None:
                    return done
                if tries < UPDATE_TRIES:
                    await asyncio.sleep(random.uniform(0, delay))
                    delay = min(delay * 2, UPDATE_BACKOFF_MAX_S)
    except TimeoutError:
        STORE_CONTENDED.inc()
        message = f"shipment {shipment_id} is busy: not updated within {UPDATE_WAIT_S:g} s"
        raise StoreContended(message, RETRY_AFTER_S) from None
    STORE_CONTENDED.inc()
    message = (
        f"shipment {shipment_id} is being changed elsewhere: "
        f"still contended after {UPDATE_TRIES} tries"
    )
    raise StoreContended(message, RETRY_AFTER_S)


IN_PROGRESS_TTL_S = 120.0
"""How long a reservation lives before it is completed: a crashed booker's key frees up."""
ORPHAN_TTL_S = 7 * 24 * 3600
LIST_BATCH = 100
"""Positions read per step while a filtered listing walks the index."""


def fresh_ms(moment: datetime) -> int:
    """A moment as the active index scores it: ms since the Unix epoch (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def is_active(shipment: Shipment) -> bool:
    """Booked and still moving at the carrier, so worth polling. Not a DRAFT: most are
    quotes nobody booked (Envoy rates a shipment it creates), which would be polled
    for ever; booking one makes it active."""
    return shipment.status not in TERMINAL_STATUSES and shipment.status != ShipmentStatus.DRAFT


def active_moves(old: Shipment, new: Shipment) -> tuple[CarrierCode | None, set[CarrierCode]]:
    """When ``old`` becomes ``new``: the carrier whose active index gets the shipment
    (scored fresh at new.updated_at unless it is fresher already), or None; and the
    carriers whose index loses it."""
    keep = new.carrier if is_active(new) else None
    return keep, {old.carrier} - {keep} if is_active(old) else set()


def check_claim(limit: int, interval_s: float) -> None:
    if limit < 0:
        raise ValueError(f"limit must be >= 0, not {limit}")
    if interval_s < 0:
        raise ValueError(f"interval_s must be >= 0, not {interval_s}")


def next_version(current: Shipment, result: Shipment | None) -> Shipment | None:
    """What an update writes: None when the mutator changed nothing."""
    if result is None or result == current:
        return None
    identity = ("id", "tenant", "created_at")
    if any(getattr(result, name) != getattr(current, name) for name in identity):
        raise StoreError(f"an update may not change {', '.join(identity)}")
    return replace(result, version=current.version + 1)


def make_page(found: list[tuple[str, Shipment]], first: int) -> ShipmentPage:
    """The page for up to ``first + 1`` (position, shipment) matches, newest first."""
    shown = found[:first]
    return ShipmentPage(
        shipments=[shipment for _, shipment in shown],
        cursors=[encode_cursor(pos) for pos, _ in shown],
        has_next_page=len(found) > first,
    )


def check_first(first: int) -> None:
    if first < 0:
        raise ValueError(f"first must be >= 0, not {first}")


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    completed: bool
    request_hash: str | None
    """None when a completion found its reservation expired: it then answers any input."""
    shipment_id: str | None = None

    def encode(self) -> str:
        state = IdempotencyState.COMPLETED if self.completed else IdempotencyState.IN_PROGRESS
        record = {"state": state.value, "hash": self.request_hash, "shipment_id": self.shipment_id}
        return json.dumps(record, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes | str) -> IdempotencyRecord:
        record = json.loads(raw)
        completed = record["state"] == IdempotencyState.COMPLETED.value
        return cls(completed, record["hash"], record.get("shipment_id"))

    def answer(self, request_hash: str) -> IdempotencyResult:
        """What a reservation attempt with ``request_hash`` gets while this is stored."""
        if self.request_hash is not None and self.request_hash != request_hash:
            return IdempotencyResult(IdempotencyState.MISMATCH)
        if self.completed:
            return IdempotencyResult(IdempotencyState.COMPLETED, self.shipment_id)
        return IdempotencyResult(IdempotencyState.IN_PROGRESS)


def oldest_first_once(entries: Iterable[tuple[float, TrackingUpdate]]) -> list[TrackingUpdate]:
    """The updates by ascending sequence number, each event id once (the oldest copy)."""
    seen: set[str] = set()
    taken = []
    for _, update in sorted(entries, key=lambda entry: entry[0]):
        if update.event_id not in seen:
            seen.add(update.event_id)
            taken.append(update)
    return taken


# --- reading and writing records ----------------------------------------------------


MAX_KEY_PART = 256
"""Characters of a carrier id or tracking number, which become lookup key names."""


def write_shipment(shipment: Shipment) -> bytes:
    """The shipment's encoding, or UnstorableShipment when it would not read back or
    its carrier id or tracking number would not make a sane lookup key."""
    for name in ("carrier_shipment_id", "tracking_number"):
        value = getattr(shipment, name)
        if value is not None and (len(value) > MAX_KEY_PART or not value.isprintable()):
            log.error("shipment not stored: unusable key", shipment=shipment.id, field=name)
            raise UnstorableShipment(f"shipment {shipment.id} cannot be stored: bad {name}")
    try:
        return encode_shipment(shipment)
    except Unencodable as error:
        log.error("shipment not stored: unreadable encoding", shipment=shipment.id, why=str(error))
        raise UnstorableShipment(f"shipment {shipment.id} cannot be stored: {error}") from None


def write_update(update: TrackingUpdate) -> bytes:
    """An orphan update's encoding, or UnstorableShipment when it would not read back."""
    try:
        return encode_update(update)
    except Unencodable as error:
        log.error(
            "orphan not stored: unreadable encoding", event_id=update.event_id, why=str(error)
        )
        raise UnstorableShipment(f"update {update.event_id} cannot be stored: {error}") from None


def read_shipment(shipment_id: str, raw: bytes | str) -> Shipment:
    """The stored shipment, or CorruptRecord (logged)."""
    try:
        return decode_shipment(raw)
    except Undecodable as error:
        log.error("stored shipment unreadable", shipment=shipment_id, why=str(error))
        raise CorruptRecord([shipment_id]) from None


def owned(tenant: str, shipment_id: str, raw: bytes | str | None) -> Shipment | None:
    """The tenant's stored shipment; None when absent or another tenant's. A record
    that cannot be decoded raises CorruptRecord for its tenant, and for anyone when
    not even its tenant can be read (ids are not guessable)."""
    if raw is None:
        return None
    try:
        shipment = read_shipment(shipment_id, raw)
    except CorruptRecord:
        if stamp_tenant(raw) not in (tenant, None):
            return None
        raise
    return shipment if shipment.tenant == tenant else None


def owned_batch(
    tenant: str, shipment_ids: Sequence[str], raws: Sequence[bytes | str | None]
) -> list[Shipment | None]:
    """``owned`` for each; one CorruptRecord naming every unreadable one (with the
    rest in ``found``) when any is."""
    found: list[Shipment | None] = []
    corrupt: list[str] = []
    for shipment_id, raw in zip(shipment_ids, raws, strict=True):
        try:
            found.append(owned(tenant, shipment_id, raw))
        except CorruptRecord:
            found.append(None)
            corrupt.append(shipment_id)
    if corrupt:
        raise CorruptRecord(corrupt, found)
    return found


def readable_shipment(shipment_id: str, raw: bytes | str) -> Shipment | None:
    """For listings and polls, which go on without it: the shipment, or None (logged)."""
    try:
        return read_shipment(shipment_id, raw)
    except CorruptRecord:
        return None


def readable_update(raw: bytes | str) -> TrackingUpdate | None:
    """A stored orphan update, or None (logged): one bad orphan must not stop a booking
    from adopting the others."""
    try:
        return decode_update(raw)
    except Undecodable as error:
        log.error("stored orphan update unreadable; dropped", why=str(error))
        return None
