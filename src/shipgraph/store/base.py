"""The ShipmentStore protocol: what every backend (memory, Redis) promises."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shipgraph.domain import CarrierCode, Shipment, ShipmentStatus, TrackingUpdate
from shipgraph.store.search import matches as matches_search
from shipgraph.store.search import search_prefixes

IDEMPOTENCY_TTL_S = 24 * 3600


class StoreError(Exception):
    """Base of the store's own failures."""


class ShipmentNotFound(StoreError):
    pass


class DuplicateShipment(StoreError):
    """A shipment with that id, or that carrier + carrier id, is already stored."""


class InvalidCursor(StoreError):
    pass


class CorruptRecord(StoreError):
    """A stored shipment cannot be decoded (damaged by hand, or written by a version
    that stored what it could not read back). Reading it by id raises this, listings
    and tracking polls skip it, and each is logged; never a 500.

    From ``get_many``, ``found`` holds the batch as far as it could be read: the
    shipments (or None) in order, None in place of each unreadable one."""

    def __init__(self, shipment_ids: Sequence[str], found: Sequence[Shipment | None] = ()) -> None:
        super().__init__(
            "the stored record of this shipment is unreadable; the operator can find it in the log"
        )
        self.shipment_ids = tuple(shipment_ids)
        self.found = list(found)


class UnstorableShipment(StoreError):
    """A shipment the store refuses to write, because its encoding would not read
    back (nothing is written)."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, or cannot serve this version yet."""


class SchemaBehind(StoreUnavailable):
    """The database's schema is not the one this version needs (the message says
    what to run)."""


class StoreBusy(StoreUnavailable):
    """The backend is reachable but this request could not be served in time: every
    pooled connection stayed busy, or an update kept losing to other writers. The
    message says which; worth retrying after ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreContended(StoreBusy):
    """An update gave up after its bounded retries: other writers kept changing the
    record between its read and its write."""


@dataclass(frozen=True, slots=True)
class ShipmentFilter:
    carrier: CarrierCode | None = None
    statuses: frozenset[ShipmentStatus] | None = None
    reference: str | None = None
    tracking_number: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    """Free text found by prefix in the reference, the tracking number, the
    recipient's name or phone (see shipgraph.store.search); blank matches all."""

    def matches(self, shipment: Shipment) -> bool:
        if self.search is not None and not matches_search(search_prefixes(self.search), shipment):
            return False
        if self.carrier is not None and shipment.carrier != self.carrier:
            return False
        if self.statuses is not None and shipment.status not in self.statuses:
            return False
        if self.reference is not None and shipment.reference != self.reference:
            return False
        if self.tracking_number is not None and shipment.tracking_number != self.tracking_number:
            return False
        if self.created_after is not None and shipment.created_at <= self.created_after:
            return False
        return not (self.created_before is not None and shipment.created_at >= self.created_before)


class ShipmentOrder(enum.Enum):
    """The order of a listing: by created_at, then id, both the same way."""

    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


COUNT_CAP = 10_000
"""The most shipments ``count`` counts: a count of COUNT_CAP means that many or more."""


@dataclass(frozen=True, slots=True)
class ShipmentPage:
    """One page of a tenant's shipments, in the listing's order.

    ``cursors[i]`` is the opaque cursor of ``shipments[i]``; passing it as ``after``
    continues with the shipment right after it, as ``before`` with the one right
    before it. ``has_previous_page`` is only known for a page read backwards (last,
    before); forwards it is False.
    """

    shipments: Sequence[Shipment]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool = False


@dataclass(frozen=True, slots=True)
class PageRead:
    """What one listing read, to tell later whether it would read the same: its
    arguments, the ids and versions of its page in the page's order, and whether
    there was more past it (a next page forwards, a previous one backwards)."""

    tenant: str
    first: int
    after: str | None
    filter: ShipmentFilter | None
    last: int | None
    before: str | None
    order: ShipmentOrder
    versions: tuple[tuple[str, int], ...]
    more: bool

    @classmethod
    def of(
        cls,
        tenant: str,
        page: ShipmentPage,
        first: int,
        after: str | None = None,
        filter: ShipmentFilter | None = None,
        *,
        last: int | None = None,
        before: str | None = None,
        order: ShipmentOrder = ShipmentOrder.NEWEST_FIRST,
    ) -> PageRead:
        versions = tuple((shipment.id, shipment.version) for shipment in page.shipments)
        more = page.has_previous_page if last is not None else page.has_next_page
        return cls(tenant, first, after, filter, last, before, order, versions, more)


class IdempotencyState(enum.Enum):
    RESERVED = "reserved"
    """The caller holds the key now and must complete or release it."""
    IN_PROGRESS = "in_progress"
    """Another request with the same key and input is booking right now."""
    COMPLETED = "completed"
    """Booked already: ``shipment_id`` is the result."""
    MISMATCH = "mismatch"
    """The key was used with a different input."""


@dataclass(frozen=True, slots=True)
class IdempotencyResult:
    state: IdempotencyState
    shipment_id: str | None = None


Mutator = Callable[[Shipment], Shipment | None]
"""Given the stored shipment, return its new value, or None to leave it unchanged."""


UNCERTAIN_TTL_S = 7 * 86_400
"""How long a booking that got no answer stays marked, unless settled sooner."""


class ShipmentStore(Protocol):
    async def create(self, shipment: Shipment) -> Shipment:
        """Store a new shipment as version 1 and index it (tenant listing, carrier id,
        tracking number, active shipments unless its status is terminal). Raises
        DuplicateShipment if the id or carrier id is taken."""
        ...

    async def get(self, tenant: str, shipment_id: str) -> Shipment | None:
        """The tenant's shipment, or None (also for another tenant's id)."""
        ...

    async def get_many(self, tenant: str, shipment_ids: Sequence[str]) -> list[Shipment | None]:
        """Like get for each id, in order, in O(1) round trips."""
        ...

    async def versions(self, tenant: str, shipment_ids: Sequence[str]) -> list[int | None]:
        """The version of each of the tenant's shipments (None: not there, or another
        tenant's), in order, in one round trip, without decoding the shipments."""
        ...

    async def find_by_carrier_id(
        self, carrier: CarrierCode, carrier_shipment_id: str
    ) -> Shipment | None:
        """Any tenant's shipment booked with that carrier id (for webhooks)."""
        ...

    async def find_by_tracking_number(
        self, carrier: CarrierCode, tracking_number: str
    ) -> Shipment | None:
        """Any tenant's shipment with that carrier's tracking number (for webhooks)."""
        ...

    async def update(
        self,
        tenant: str,
        shipment_id: str,
        mutate: Mutator,
        *,
        event: TrackingUpdate | None = None,
    ) -> Shipment:
        """Apply ``mutate`` atomically (compare-and-set, retried on a concurrent
        write). If it returns a shipment different from the stored one, that is saved
        with version + 1 and returned; otherwise the stored one is returned as is.
        Raises ShipmentNotFound. Re-indexes a changed tracking number, and the active
        index: a shipment saved with a terminal status leaves it, any other is fresh
        as of its updated_at.

        ``event``: the carrier's update that ``mutate`` applies. It is recorded with
        the write, in the same transaction, and an event already recorded for the
        shipment is not applied again (``mutate`` is not called; the stored shipment
        is returned)."""
        ...

    async def list(
        self,
        tenant: str,
        first: int,
        after: str | None = None,
        filter: ShipmentFilter | None = None,
        *,
        last: int | None = None,
        before: str | None = None,
        order: ShipmentOrder = ShipmentOrder.NEWEST_FIRST,
    ) -> ShipmentPage:
        """The tenant's shipments newest first (created_at, then id, descending), or
        oldest first: the ``first`` right after the cursor ``after``; or, given
        ``last`` (then ``first`` is 0 and ``after`` None), the ``last`` right before
        the cursor ``before``, still in the listing's order. Raises InvalidCursor for
        a cursor it did not make."""
        ...

    async def page_versions(self, read: PageRead) -> PageRead:
        """The listing ``read`` read, as it would read now: the ids and versions of its
        page and whether there is more, from the listing's index and the version
        column alone (no document is read). A listing that must read documents to
        choose its shipments (a search) raises ValueError."""
        ...

    async def count(
        self, tenant: str, filter: ShipmentFilter | None = None, *, at_most: int = COUNT_CAP
    ) -> int:
        """How many of the tenant's shipments the filter matches, counted up to
        ``at_most`` (a result of ``at_most`` means at least that many)."""
        ...

    async def claim_due(
        self,
        carrier: CarrierCode,
        *,
        now: datetime | None = None,
        interval_s: float,
        limit: int,
    ) -> builtins.list[Shipment]:
        """Claim up to ``limit`` of the carrier's active shipments (any tenant, status
        not terminal) that are due for a tracking poll, longest-due first, in O(1)
        round trips.

        Every active shipment is indexed with the time it was last fresh: stored or
        updated (its ``updated_at``), or claimed. It is due once that is
        ``interval_s`` or more before ``now``. Claiming marks it fresh as of ``now``,
        atomically with the selection: that mark is the poll's lease, so however many
        callers (processes sharing the backend) claim concurrently, each shipment is
        claimed once per interval. A shipment whose poll fails is due again one
        interval after its claim; one that leaves to a terminal status leaves the
        index. ``now`` None is the database's own clock, the one every process
        sharing it agrees on (a process whose clock is off neither polls early nor
        holds a lease too long)."""
        ...

    async def reserve_idempotency(
        self, tenant: str, key: str, request_hash: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> IdempotencyResult:
        """Atomically claim ``key`` for a booking whose input hashes to request_hash.
        Exactly one of many concurrent callers gets RESERVED."""
        ...

    async def complete_idempotency(
        self, tenant: str, key: str, shipment_id: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> None:
        """Record the booking's result under a reserved key (kept ttl_s)."""
        ...

    async def release_idempotency(self, tenant: str, key: str) -> None:
        """Give a reserved key up (the booking failed), so a retry can try again."""
        ...

    async def mark_uncertain(
        self,
        tenant: str,
        carrier: CarrierCode,
        reference: str,
        ttl_s: float = UNCERTAIN_TTL_S,
    ) -> None:
        """Remember that a create for this reference got no answer (kept ttl_s)."""
        ...

    async def is_uncertain(self, tenant: str, carrier: CarrierCode, reference: str) -> bool:
        """Whether a create for this reference got no answer and was not settled."""
        ...

    async def clear_uncertain(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        """The carrier said what became of it: forget the mark."""
        ...

    async def add_orphan(self, update: TrackingUpdate) -> None:
        """Keep a carrier update whose shipment is not known yet (kept 7 days)."""
        ...

    async def take_orphans(
        self, carrier: CarrierCode, carrier_shipment_id: str | None, tracking_number: str | None
    ) -> builtins.list[TrackingUpdate]:
        """Remove and return the orphans addressed to that carrier id or tracking number,
        oldest first."""
        ...

    async def open(self) -> None:
        """Make the store ready to serve, or raise SchemaBehind (see its message)."""
        ...

    async def ping(self) -> bool:
        """True when the backend answers."""
        ...

    async def aclose(self) -> None: ...
