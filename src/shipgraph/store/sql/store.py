"""The SQL store (SQLAlchemy 2 Core, async): PostgreSQL (asyncpg) or SQLite (aiosqlite).

One implementation for both dialects; the only dialect-specific statements are the
upserts (``insert`` of sqlalchemy.dialects.{postgresql,sqlite}, whose
``on_conflict_*`` are alike) and the ``FOR UPDATE SKIP LOCKED`` of a claim, which
SQLite's compiler leaves out (its single writer makes the claim's one UPDATE atomic).
The schema is in ``tables``; ``migrations`` creates it (``shipgraph db upgrade``).
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shipgraph.domain import CarrierCode, Shipment, TrackingUpdate
from shipgraph.observability import DATABASE_POOL_EXHAUSTED, get_logger
from shipgraph.store._common import (
    IN_PROGRESS_TTL_S,
    LIST_BATCH,
    MAX_KEY_PART,
    ORPHAN_TTL_S,
    RETRY_AFTER_S,
    IdempotencyRecord,
    active_moves,
    check_claim,
    check_first,
    fresh_ms,
    is_active,
    make_page,
    next_version,
    oldest_first_once,
    owned,
    owned_batch,
    read_shipment,
    readable_shipment,
    readable_update,
    update_in_turn,
    write_shipment,
    write_update,
)
from shipgraph.store._keyed_lock import KeyedLocks
from shipgraph.store.base import (
    COUNT_CAP,
    IDEMPOTENCY_TTL_S,
    UNCERTAIN_TTL_S,
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    InvalidCursor,
    Mutator,
    PageRead,
    SchemaBehind,
    ShipmentFilter,
    ShipmentNotFound,
    ShipmentOrder,
    ShipmentPage,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    UnstorableShipment,
)
from shipgraph.store.cursors import decode_cursor, micros, position
from shipgraph.store.search import search_prefixes, search_text
from shipgraph.store.search import search_terms as search_terms_of
from shipgraph.store.sql import migrate
from shipgraph.store.sql.engine import create_engine, is_memory_url
from shipgraph.store.sql.listing import listing_of
from shipgraph.store.sql.tables import (
    carrier_ids,
    idempotency_keys,
    orphan_events,
    poll_leases,
    search_terms,
    shipment_ids,
    shipments,
    tracking_events,
    tracking_numbers,
    uncertain_bookings,
)

log = get_logger("shipgraph.store")
P = ParamSpec("P")
R = TypeVar("R")

# The hottest reads, built once: a statement built per call costs more CPU in
# SQLAlchemy (construction, cache key) than its round trip (bench/reads.py).
_TENANT: sa.BindParameter[str] = sa.bindparam("tenant")
_ID: sa.BindParameter[str] = sa.bindparam("id")
_IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
_VERSION = sa.select(shipments.c.id, shipments.c.version).where(
    shipments.c.tenant == _TENANT, shipments.c.id == _ID
)
_ONE_DOCUMENT = sa.select(shipments.c.id, shipments.c.document).where(
    shipments.c.tenant == _TENANT, shipments.c.id == _ID
)
_VERSIONS = sa.select(shipments.c.id, shipments.c.version).where(
    shipments.c.tenant == _TENANT, shipments.c.id.in_(_IDS)
)
_DOCUMENTS = sa.select(shipments.c.id, shipments.c.document).where(
    shipments.c.tenant == _TENANT, shipments.c.id.in_(_IDS)
)


class _Lost(Exception):
    """Another writer saved a new version between an update's read and its write."""


_SCHEMA_BEHIND = {"42P01", "42703"}
"""PostgreSQL's undefined_table and undefined_column: a database not migrated this far
(SQLite says so with an OperationalError, caught above)."""


_NOT_SERVING = ("08", "53", "57P")
"""PostgreSQL's connection exceptions, insufficient resources (too many connections)
and operator intervention (shutting down, starting up: cannot_connect_now)."""


def _reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Turn database failures into StoreUnavailable (reads answer SERVICE_UNAVAILABLE,
    webhooks 503): StoreBusy when it is there but busy, so worth a retry soon."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except sa_exc.TimeoutError as exc:  # every pooled connection stayed busy
            DATABASE_POOL_EXHAUSTED.inc()
            message = f"the database connection pool is exhausted ({exc.args[0]})"
            raise StoreBusy(message, RETRY_AFTER_S) from exc
        except sa_exc.OperationalError as exc:
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise StoreBusy(f"database busy: {exc.orig}", RETRY_AFTER_S) from exc
            raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
        except TimeoutError as exc:  # asyncpg's connect or command timeout
            raise StoreUnavailable("the database did not answer in time") from exc
        except (sa_exc.InterfaceError, sa_exc.DisconnectionError, OSError) as exc:
            raise StoreUnavailable(f"database unavailable: {exc}") from exc
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(f"database connection lost: {exc.orig}") from exc
            state = str(getattr(exc.orig, "sqlstate", None) or "")
            if state.startswith(_NOT_SERVING):
                raise StoreUnavailable(f"database not serving: {exc.orig}") from exc
            if state in _SCHEMA_BEHIND:
                message = f"database schema is behind ({exc.orig}): run `shipgraph db upgrade`"
                raise StoreUnavailable(message) from exc
            raise

    return wrapper


IN_BATCH = 1000
"""Ids per ``IN (...)``: asyncpg takes at most 32767 arguments in one statement."""
SEARCH_PROBE = 3000
"""Term entries a search reads to tell a rare prefix from a common one (_walk)."""
COUNT_CHUNK = 2000
"""Term entries read per step while a search's matches are counted."""
"""Ids per ``IN (...)``: asyncpg takes at most 32767 arguments in one statement."""


def storable(value: str | None) -> bool:
    """Text a column of both dialects holds: PostgreSQL refuses NUL, and neither
    driver sends a lone surrogate. What cannot be stored matches nothing stored."""
    if value is None:
        return True
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


KEY_BYTES = 512
"""The longest key text written (an index entry must stay well under PostgreSQL's
2704-byte limit); longer keys are stored by their hash."""
COLUMN_BYTES = {
    "tenant": 256,
    "id": 256,
    "reference": 1024,
    "carrier_shipment_id": 1024,
    "tracking_number": 1024,
}
"""The most UTF-8 bytes of a shipment's indexed text columns (all told an index entry
stays under PostgreSQL's limit); a longer one cannot be stored."""


def key_text(value: str) -> str:
    """A caller's key (an idempotency key, a tenant) as a column can hold it: itself
    when storable and short, else its UTF-8 (surrogates kept) in hex after a \x01 mark,
    or for a long one its SHA-256 after a \x02 mark. A key starting with a mark is
    always transformed, so no two keys share a text (up to SHA-256 collisions)."""
    marked = value.startswith(("\x01", "\x02"))
    if storable(value) and not marked and len(value.encode()) <= KEY_BYTES:
        return value
    raw = value.encode("utf-8", "surrogatepass")
    if 1 + 2 * len(raw) <= KEY_BYTES:
        return "\x01" + raw.hex()
    return "\x02" + hashlib.sha256(raw).hexdigest()


def _batches(ids: Sequence[str]) -> list[list[str]]:
    unique = sorted({i for i in ids if storable(i)})
    return [unique[n : n + IN_BATCH] for n in range(0, len(unique), IN_BATCH)]


def _by_ids(
    one: sa.Select[Any], many: sa.Select[Any], tenant: str, ids: builtins.list[str]
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """The statement and parameters reading ``ids``: one id by ``one`` (no IN list
    to expand per call), more by ``many``."""
    if len(ids) == 1:
        return one, {"tenant": tenant, "id": ids[0]}
    return many, {"tenant": tenant, "ids": ids}


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT with ``on_conflict_do_nothing`` / ``on_conflict_do_update``: the two
    dialects spell ``ON CONFLICT`` alike, through their own ``insert``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"no upsert for the {conn.dialect.name} dialect")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _columns(shipment: Shipment, encoded: bytes) -> dict[str, Any]:
    """A shipment's row: the fields filters and lookups read, and the document."""
    return {
        "version": shipment.version,
        "carrier": shipment.carrier.value,
        "carrier_shipment_id": shipment.carrier_shipment_id,
        "tracking_number": shipment.tracking_number,
        "status": shipment.status.value,
        "reference": shipment.reference,
        "document": encoded,
        "search_text": search_text(search_terms_of(shipment)),
    }


class SqlShipmentStore:
    def __init__(
        self,
        engine: AsyncEngine,
        in_progress_ttl_s: float = IN_PROGRESS_TTL_S,
        clock: Callable[[], float] = time.time,
        *,
        owns_engine: bool = False,
    ) -> None:
        """``clock`` is wall time (seconds since the Unix epoch): idempotency keys and
        orphans expire by it, and every process sharing the database must agree on it.
        ``aclose`` disposes of the engine only when ``owns_engine``."""
        self._engine = engine
        self._in_progress_ttl_s = in_progress_ttl_s
        self._clock = clock
        self._owns_engine = owns_engine
        # Reads are single statements (or a walk whose each step stands alone): in
        # autocommit they cost no BEGIN and ROLLBACK round trips of their own.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._updating = KeyedLocks()
        self._schema_checked = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        in_progress_ttl_s: float = IN_PROGRESS_TTL_S,
        clock: Callable[[], float] = time.time,
        **engine_options: Any,
    ) -> SqlShipmentStore:
        """A store on its own engine (``engine_options`` go to create_async_engine)."""
        engine = create_engine(url, **engine_options)
        return cls(engine, in_progress_ttl_s, clock, owns_engine=True)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    # --- shipments ---------------------------------------------------------------

    @_reachable
    async def create(self, shipment: Shipment) -> Shipment:
        stored = replace(shipment, version=1)
        inserted = _inserted_rows(stored)
        try:
            async with self._engine.begin() as conn:
                for table, rows in inserted.items():
                    if rows:
                        await conn.execute(sa.insert(table), rows)
                if stored.tracking_number:
                    await self._take_tracking_number(conn, stored)
                if is_active(stored):
                    await self._freshen(conn, stored)
        except sa_exc.IntegrityError as exc:
            raise DuplicateShipment(f"id or carrier id taken: {stored.id}") from exc
        return stored

    async def _take_tracking_number(self, conn: AsyncConnection, shipment: Shipment) -> None:
        """Point the carrier's tracking number at the shipment (the last to take it)."""
        owner = {"tenant": shipment.tenant, "shipment_id": shipment.id}
        key = {"carrier": shipment.carrier.value, "tracking_number": shipment.tracking_number}
        upsert = _insert(conn, tracking_numbers).values(**key, **owner)
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[tracking_numbers.c.carrier, tracking_numbers.c.tracking_number],
                set_=owner,
            )
        )

    async def _freshen(self, conn: AsyncConnection, shipment: Shipment) -> None:
        """Put the shipment in its carrier's due index, fresh as of its updated_at
        unless it is fresher there already (a claim is never shortened). A writer
        whose clock runs ahead of the database's is taken at the database's time:
        leases are judged by the database's clock, and a stamp in its future would
        hold the shipment back from its polls."""
        stamped = sa.literal(fresh_ms(shipment.updated_at), sa.BigInteger)
        now = _database_now_ms(self._engine)
        fresh = sa.case((stamped < now, stamped), else_=now)
        carrier = shipment.carrier.value
        upsert = _insert(conn, poll_leases).values(
            tenant=shipment.tenant,
            shipment_id=shipment.id,
            carrier=carrier,
            fresh_ms=fresh,
            prior_fresh_ms=fresh,
        )
        same_carrier = poll_leases.c.carrier == carrier
        kept = sa.case(
            (sa.and_(same_carrier, poll_leases.c.fresh_ms > fresh), poll_leases.c.fresh_ms),
            else_=fresh,
        )
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[poll_leases.c.tenant, poll_leases.c.shipment_id],
                set_={"carrier": carrier, "fresh_ms": kept},
            )
        )

    @_reachable
    async def get(self, tenant: str, shipment_id: str) -> Shipment | None:
        if not (storable(tenant) and storable(shipment_id)):
            return None
        async with self._reads.connect() as conn:
            found = await conn.execute(_ONE_DOCUMENT, {"tenant": tenant, "id": shipment_id})
            row = found.first()
        return owned(tenant, shipment_id, None if row is None else row.document)

    @_reachable
    async def get_many(self, tenant: str, shipment_ids: Sequence[str]) -> list[Shipment | None]:
        if not shipment_ids:
            return []
        raws = await self._documents(tenant, shipment_ids)
        return owned_batch(tenant, shipment_ids, [raws.get(i) for i in shipment_ids])

    @_reachable
    async def versions(self, tenant: str, shipment_ids: Sequence[str]) -> list[int | None]:
        found: dict[str, int] = {}
        if shipment_ids and storable(tenant):
            async with self._reads.connect() as conn:
                for batch in _batches(shipment_ids):
                    read = await conn.execute(*_by_ids(_VERSION, _VERSIONS, tenant, batch))
                    found.update((row.id, row.version) for row in read)
        return [found.get(i) for i in shipment_ids]

    async def _documents(self, tenant: str, ids: Sequence[str]) -> dict[str, bytes]:
        """The stored documents of ``tenant``'s shipments, by id."""
        found: dict[str, bytes] = {}
        if not storable(tenant):
            return found
        async with self._reads.connect() as conn:
            for batch in _batches(ids):
                read = await conn.execute(*_by_ids(_ONE_DOCUMENT, _DOCUMENTS, tenant, batch))
                found.update((row.id, row.document) for row in read)
        return found

    @_reachable
    async def find_by_carrier_id(
        self, carrier: CarrierCode, carrier_shipment_id: str
    ) -> Shipment | None:
        if not storable(carrier_shipment_id):
            return None
        key = carrier_ids.c.carrier_shipment_id == carrier_shipment_id
        return await self._find_through(carrier_ids, carrier, key)

    @_reachable
    async def find_by_tracking_number(
        self, carrier: CarrierCode, tracking_number: str
    ) -> Shipment | None:
        if not storable(tracking_number):
            return None
        key = tracking_numbers.c.tracking_number == tracking_number
        return await self._find_through(tracking_numbers, carrier, key)

    async def _find_through(
        self, lookup: sa.Table, carrier: CarrierCode, key: Any
    ) -> Shipment | None:
        """The shipment a lookup table's row (carrier, key) points at."""
        owner = sa.and_(
            shipments.c.tenant == lookup.c.tenant, shipments.c.id == lookup.c.shipment_id
        )
        query = (
            sa.select(shipments.c.id, shipments.c.document)
            .select_from(lookup.join(shipments, owner))
            .where(lookup.c.carrier == carrier.value, key)
        )
        return await self._find(query)

    async def _find(self, query: sa.Select[Any]) -> Shipment | None:
        async with self._reads.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else read_shipment(row.id, row.document)

    @_reachable
    async def update(
        self,
        tenant: str,
        shipment_id: str,
        mutate: Mutator,
        *,
        event: TrackingUpdate | None = None,
    ) -> Shipment:
        if not (storable(tenant) and storable(shipment_id)):
            raise ShipmentNotFound(shipment_id)
        return await update_in_turn(
            self._updating,
            shipment_id,
            lambda: self._try_update(tenant, shipment_id, mutate, event),
        )

    async def _try_update(
        self, tenant: str, shipment_id: str, mutate: Mutator, event: TrackingUpdate | None
    ) -> Shipment | None:
        """One compare-and-set attempt: None when another writer saved a version first."""
        this = sa.and_(shipments.c.tenant == tenant, shipments.c.id == shipment_id)
        recorded = None if event is None else _event_row(tenant, shipment_id, event)
        async with self._engine.connect() as conn:
            # the event first: once it is recorded, the shipment read next is at least
            # the version that applied it (both were committed together)
            applied = recorded is not None and await _recorded(conn, recorded)
            read = sa.select(shipments.c.document).where(this)
            current = owned(tenant, shipment_id, (await conn.execute(read)).scalar_one_or_none())
            await conn.rollback()  # the write below checks the version it read
            if current is None:
                raise ShipmentNotFound(shipment_id)
            if applied:
                return current
            stored = next_version(current, mutate(current))
            if stored is None:
                return current
            encoded = write_shipment(stored)
            _check_columns(stored)
            try:
                async with conn.begin():
                    written = await conn.execute(
                        sa.update(shipments)
                        .where(this, shipments.c.version == current.version)
                        .values(_columns(stored, encoded))
                    )
                    if written.rowcount != 1:
                        raise _Lost
                    await self._reindex(conn, current, stored)
                    if recorded is not None:
                        await _record(conn, {**recorded, "applied_us": micros(stored.updated_at)})
            except _Lost:
                return None
            except sa_exc.IntegrityError as exc:
                raise DuplicateShipment(f"carrier id taken: {stored.carrier_shipment_id}") from exc
        return stored

    async def _reindex(self, conn: AsyncConnection, old: Shipment, new: Shipment) -> None:
        """Move the carrier's id, the tracking number, the search terms and the due
        index along with an update (taking another shipment's carrier id is an
        IntegrityError)."""
        if (new.carrier, new.carrier_shipment_id) != (old.carrier, old.carrier_shipment_id):
            await conn.execute(
                sa.delete(carrier_ids).where(
                    carrier_ids.c.carrier == old.carrier.value,
                    carrier_ids.c.carrier_shipment_id == old.carrier_shipment_id,
                    carrier_ids.c.tenant == old.tenant,
                    carrier_ids.c.shipment_id == old.id,
                )
            )
            await conn.execute(sa.insert(carrier_ids).values(_carrier_key(new)))
        if search_terms_of(old) != search_terms_of(new):
            await conn.execute(
                sa.delete(search_terms).where(
                    search_terms.c.tenant == new.tenant, search_terms.c.shipment_id == new.id
                )
            )
            terms = _term_rows(new)
            if terms:
                await conn.execute(sa.insert(search_terms), terms)
        old_key = (old.carrier, old.tracking_number)
        if (new.carrier, new.tracking_number) != old_key:
            if old.tracking_number:
                # left to another shipment that took it meanwhile
                await conn.execute(
                    sa.delete(tracking_numbers).where(
                        tracking_numbers.c.carrier == old.carrier.value,
                        tracking_numbers.c.tracking_number == old.tracking_number,
                        tracking_numbers.c.tenant == old.tenant,
                        tracking_numbers.c.shipment_id == old.id,
                    )
                )
            if new.tracking_number:
                await self._take_tracking_number(conn, new)
        keep, gone = active_moves(old, new)
        if keep is not None:
            await self._freshen(conn, new)
        elif gone:
            await conn.execute(
                sa.delete(poll_leases).where(
                    poll_leases.c.tenant == new.tenant, poll_leases.c.shipment_id == new.id
                )
            )

    @_reachable
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
        size, start, backward, descending = _direction(first, after, last, before, order)
        if not storable(tenant) or not _can_match(filter):
            return make_page([], size)
        found = await self._walk(tenant, size, start, descending, filter)
        if not backward:
            return make_page(found, size)
        shown = found[:size][::-1]
        page = make_page(shown, size)
        return replace(page, has_next_page=False, has_previous_page=len(found) > size)

    @_reachable
    async def page_versions(self, read: PageRead) -> PageRead:
        if read.filter is not None and read.filter.search:
            raise ValueError("a search's page is chosen by reading its documents")
        size, start, backward, descending = _direction(
            read.first, read.after, read.last, read.before, read.order
        )
        found: builtins.list[tuple[str, int]] = []
        if storable(read.tenant) and _can_match(read.filter):
            listing = listing_of(read.tenant, read.filter, SEARCH_PROBE)
            async with self._reads.connect() as conn:
                rows = await conn.execute(*listing.versions(start, descending, size + 1))
                found = [(row.id, row.version) for row in rows]
        shown = found[:size][::-1] if backward else found[:size]
        return replace(read, versions=tuple(shown), more=len(found) > size)

    async def _walk(
        self,
        tenant: str,
        size: int,
        start: str | None,
        descending: bool,
        filter: ShipmentFilter | None,
    ) -> builtins.list[tuple[str, Shipment]]:
        """Up to ``size + 1`` matches past the position ``start``, read along the
        index of the filter's column (or the search's terms) in the listing's order."""
        listing = listing_of(tenant, filter, SEARCH_PROBE)
        # the search is the index's to check (its terms, or search_text in SQL):
        # recomputing each shipment's terms here cost more than the query
        checked = replace(filter, search=None) if filter is not None else None
        async with self._reads.connect() as conn:
            # only unreadable records (skipped) make a batch come short of its matches
            batch = size + 1
            found: list[tuple[str, Shipment]] = []
            # a search: its term index first (a rare prefix), else the listing walked
            by_terms = listing.searched
            while len(found) <= size:
                read = listing.page(start, descending, batch, by_terms=by_terms)
                rows = (await conn.execute(*read)).all()
                if by_terms:
                    seen = rows[0].seen if rows else (await conn.scalar(*listing.probe())) or 0
                    if seen >= SEARCH_PROBE:
                        by_terms = False  # what it read may be short: walk the listing instead
                        continue
                for row in rows:
                    if found and found[-1][1].id == row.id:
                        continue  # a search's term index names a shipment once a term
                    shipment = readable_shipment(row.id, row.document)
                    if shipment is not None and (checked is None or checked.matches(shipment)):
                        found.append((position(row.created_us, row.id), shipment))
                if len(rows) < batch:
                    break
                start = position(rows[-1].created_us, rows[-1].id)
                batch = max(batch, LIST_BATCH)
        return found[: size + 1]

    @_reachable
    async def count(
        self, tenant: str, filter: ShipmentFilter | None = None, *, at_most: int = COUNT_CAP
    ) -> int:
        if at_most < 0:
            raise ValueError(f"at_most must be >= 0, not {at_most}")
        if at_most == 0 or not storable(tenant) or not _can_match(filter):
            return 0
        listing = listing_of(tenant, filter, SEARCH_PROBE)
        async with self._engine.connect() as conn:  # a stream needs its transaction
            if listing.searched and not listing.shape.columns:
                # a search alone (and its dates) is counted from its terms, index only
                return await _count_distinct(conn, *listing.named(), at_most)
            # a rare prefix and a column filter: the few shipments the terms name;
            # else the index answers, with no document read
            rare = listing.searched and (await conn.scalar(*listing.probe()) or 0) < SEARCH_PROBE
            return int((await conn.execute(*listing.count(at_most, by_terms=rare))).scalar_one())

    # --- tracking polls ----------------------------------------------------------

    @_reachable
    async def claim_due(
        self,
        carrier: CarrierCode,
        *,
        now: datetime | None = None,
        interval_s: float,
        limit: int,
    ) -> builtins.list[Shipment]:
        check_claim(limit, interval_s)
        if limit == 0:
            return []
        now_ms = fresh_ms(now) if now is not None else _database_now_ms(self._engine)
        due_ms = now_ms - int(interval_s * 1000)
        is_due = sa.and_(poll_leases.c.carrier == carrier.value, poll_leases.c.fresh_ms <= due_ms)
        # PostgreSQL: rows another claimer holds are skipped, not waited for; the
        # choice is a materialized CTE, run once (as an IN subquery the planner may
        # run it again per row, and each run skips the rows this UPDATE changed).
        # SQLite renders no FOR UPDATE: its one writer runs the statement whole.
        chosen = (
            sa.select(poll_leases.c.tenant, poll_leases.c.shipment_id)
            .where(is_due)
            .order_by(poll_leases.c.fresh_ms, poll_leases.c.shipment_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("chosen")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        claim = (
            sa.update(poll_leases)
            .where(
                poll_leases.c.tenant == chosen.c.tenant,
                poll_leases.c.shipment_id == chosen.c.shipment_id,
            )
            .values(prior_fresh_ms=poll_leases.c.fresh_ms, fresh_ms=now_ms)
            .returning(
                poll_leases.c.tenant, poll_leases.c.shipment_id, poll_leases.c.prior_fresh_ms
            )
        )
        async with self._engine.begin() as conn:
            leased = sorted(
                (row.prior_fresh_ms, row.tenant, row.shipment_id)
                for row in await conn.execute(claim)
            )
        by_tenant: dict[str, builtins.list[str]] = {}
        for _, tenant, shipment_id in leased:
            by_tenant.setdefault(tenant, []).append(shipment_id)
        raws: dict[tuple[str, str], bytes] = {}
        for tenant, ids in by_tenant.items():  # each tenant's shipments by its own key
            found = await self._documents(tenant, ids)
            raws.update(((tenant, i), raw) for i, raw in found.items())
        read = (readable_shipment(i, raws[t, i]) for _, t, i in leased if (t, i) in raws)
        return [shipment for shipment in read if shipment is not None]  # skips unreadable

    # --- idempotency -------------------------------------------------------------

    @_reachable
    async def reserve_idempotency(
        self, tenant: str, key: str, request_hash: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> IdempotencyResult:
        ttl = min(self._in_progress_ttl_s, ttl_s)
        tenant, key = key_text(tenant), key_text(key)
        for _ in range(3):  # the held key may expire between the INSERT and the SELECT
            now = self._clock()
            async with self._engine.begin() as conn:
                await conn.execute(
                    sa.delete(idempotency_keys).where(
                        idempotency_keys.c.tenant == tenant, idempotency_keys.c.expires_at <= now
                    )
                )
                reserve = (
                    _insert(conn, idempotency_keys)
                    .values(
                        tenant=tenant,
                        key=key,
                        completed=False,
                        request_hash=request_hash,
                        shipment_id=None,
                        expires_at=now + ttl,
                    )
                    .on_conflict_do_nothing(
                        index_elements=[idempotency_keys.c.tenant, idempotency_keys.c.key]
                    )
                    .returning(idempotency_keys.c.key)
                )
                if (await conn.execute(reserve)).first() is not None:
                    return IdempotencyResult(IdempotencyState.RESERVED)
                held = (await conn.execute(self._held(tenant, key, now))).first()
            if held is not None:
                record = IdempotencyRecord(held.completed, held.request_hash, held.shipment_id)
                return record.answer(request_hash)
        raise StoreError(f"idempotency key {key!r} keeps expiring")

    def _held(self, tenant: str, key: str, now: float) -> sa.Select[Any]:
        return sa.select(
            idempotency_keys.c.completed,
            idempotency_keys.c.request_hash,
            idempotency_keys.c.shipment_id,
        ).where(
            idempotency_keys.c.tenant == tenant,
            idempotency_keys.c.key == key,
            idempotency_keys.c.expires_at > now,
        )

    @_reachable
    async def complete_idempotency(
        self, tenant: str, key: str, shipment_id: str, ttl_s: int = IDEMPOTENCY_TTL_S
    ) -> None:
        now = self._clock()
        tenant, key = key_text(tenant), key_text(key)
        async with self._engine.begin() as conn:
            held = (await conn.execute(self._held(tenant, key, now))).first()
            # a reservation that expired meanwhile leaves no hash: any input gets the result
            done = {
                "completed": True,
                "request_hash": held.request_hash if held is not None else None,
                "shipment_id": shipment_id,
                "expires_at": now + ttl_s,
            }
            upsert = _insert(conn, idempotency_keys).values(tenant=tenant, key=key, **done)
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[idempotency_keys.c.tenant, idempotency_keys.c.key], set_=done
                )
            )

    @_reachable
    async def release_idempotency(self, tenant: str, key: str) -> None:
        tenant, key = key_text(tenant), key_text(key)
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(idempotency_keys).where(
                    idempotency_keys.c.tenant == tenant, idempotency_keys.c.key == key
                )
            )

    # --- bookings whose answer never came ---------------------------------------

    def _uncertain(self, tenant: str, carrier: CarrierCode, reference: str) -> Any:
        return sa.and_(
            uncertain_bookings.c.tenant == key_text(tenant),
            uncertain_bookings.c.carrier == carrier.value,
            uncertain_bookings.c.reference == key_text(reference),
        )

    @_reachable
    async def mark_uncertain(
        self,
        tenant: str,
        carrier: CarrierCode,
        reference: str,
        ttl_s: float = UNCERTAIN_TTL_S,
    ) -> None:
        now = self._clock()
        tenant_key = key_text(tenant)
        row = {"tenant": tenant_key, "carrier": carrier.value, "reference": key_text(reference)}
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(uncertain_bookings).where(
                    uncertain_bookings.c.tenant == tenant_key,
                    uncertain_bookings.c.expires_at <= now,
                )
            )
            upsert = _insert(conn, uncertain_bookings).values(**row, expires_at=now + ttl_s)
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[
                        uncertain_bookings.c.tenant,
                        uncertain_bookings.c.carrier,
                        uncertain_bookings.c.reference,
                    ],
                    set_={"expires_at": now + ttl_s},
                )
            )

    @_reachable
    async def is_uncertain(self, tenant: str, carrier: CarrierCode, reference: str) -> bool:
        query = sa.select(uncertain_bookings.c.expires_at).where(
            self._uncertain(tenant, carrier, reference),
            uncertain_bookings.c.expires_at > self._clock(),
        )
        async with self._reads.connect() as conn:
            return (await conn.execute(query)).first() is not None

    @_reachable
    async def clear_uncertain(self, tenant: str, carrier: CarrierCode, reference: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(uncertain_bookings).where(self._uncertain(tenant, carrier, reference))
            )

    # --- orphans -----------------------------------------------------------------

    @_reachable
    async def add_orphan(self, update: TrackingUpdate) -> None:
        encoded = write_update(update)
        addressed = _addressed(update.carrier, update.carrier_shipment_id, update.tracking_number)
        if addressed is None:
            return  # no key to find it by (or none a stored shipment could have)
        now = self._clock()
        expires_at = now + ORPHAN_TTL_S
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(orphan_events).where(orphan_events.c.expires_at <= now))
            # each add keeps the orphans under its keys 7 more days (a Redis key's TTL)
            await conn.execute(
                sa.update(orphan_events).where(addressed).values(expires_at=expires_at)
            )
            await conn.execute(
                sa.insert(orphan_events).values(
                    carrier=update.carrier.value,
                    carrier_shipment_id=_key_or_none(update.carrier_shipment_id),
                    tracking_number=_key_or_none(update.tracking_number),
                    event=encoded,
                    expires_at=expires_at,
                )
            )

    @_reachable
    async def take_orphans(
        self, carrier: CarrierCode, carrier_shipment_id: str | None, tracking_number: str | None
    ) -> builtins.list[TrackingUpdate]:
        addressed = _addressed(carrier, carrier_shipment_id, tracking_number)
        if addressed is None:
            return []
        now = self._clock()
        take = (
            sa.delete(orphan_events)
            .where(addressed)
            .returning(orphan_events.c.seq, orphan_events.c.event, orphan_events.c.expires_at)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(take)).all()
        entries = []
        for row in rows:
            update = readable_update(row.event) if row.expires_at > now else None
            if update is not None:
                entries.append((float(row.seq), update))
        return oldest_first_once(entries)

    # --- lifecycle ---------------------------------------------------------------

    async def open(self) -> None:
        """The database must be at the schema's head (``shipgraph db upgrade``; one in
        memory is made there): SchemaBehind says so. A database that does not answer
        yet is left to /readyz (``ping`` checks the schema once it answers) and to
        each request's error."""
        missing = _missing_file(self._engine)
        if missing is not None:  # not made here: connecting would leave an empty file
            raise SchemaBehind(f"there is no database at {missing}: run `shipgraph db upgrade`")
        try:
            await self._check_schema()
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            log.warning("database not reachable at start; schema not checked", error=str(exc))

    async def _check_schema(self) -> None:
        current = set(await migrate.engine_revisions(self._engine))
        head = set(migrate.head_revisions())
        if current == head:
            self._schema_checked = True
            return
        now = ", ".join(sorted(current)) or "empty"
        if current <= migrate.known_revisions():
            raise SchemaBehind(
                f"the database schema is behind (at {now}, this version needs "
                f"{', '.join(sorted(head))}): run `shipgraph db upgrade`"
            )
        raise SchemaBehind(
            f"the database schema ({now}) is newer than this version of shipgraph knows: "
            "run the version that migrated it"
        )

    async def ping(self) -> bool:
        """The database answers, at this version's schema (checked until it was once)."""
        try:
            if not self._schema_checked:
                await self._check_schema()
            async with self._engine.connect() as conn:
                await conn.execute(sa.select(1))
        except SchemaBehind as behind:
            log.warning("not ready", why=str(behind))
            return False
        except (sa_exc.SQLAlchemyError, OSError):
            return False
        return True

    async def aclose(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()


def _missing_file(engine: AsyncEngine) -> str | None:
    """The path of a SQLite database file that does not exist yet, else None."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or is_memory_url(url) or not url.database:
        return None
    return None if Path(url.database).exists() else url.database


def _event_row(tenant: str, shipment_id: str, event: TrackingUpdate) -> dict[str, Any]:
    """The applied event's row in tracking_events (its time of applying added later)."""
    log = event.log
    return {
        "tenant": tenant,
        "shipment_id": shipment_id,
        "event_id": key_text(event.event_id),
        "carrier": event.carrier.value,
        "status": None if event.status is None else event.status.value,
        "carrier_status": event.carrier_status,
        "occurred_us": None if log is None else micros(log.occurred_at),
        "event": write_update(event),
    }


async def _recorded(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    query = sa.select(tracking_events.c.event_id).where(
        tracking_events.c.tenant == row["tenant"],
        tracking_events.c.shipment_id == row["shipment_id"],
        tracking_events.c.event_id == row["event_id"],
    )
    return (await conn.execute(query)).first() is not None


async def _record(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Record the event with the write that applied it; one recorded meanwhile by
    another writer (who then saved a version first) makes this attempt lost."""
    insert = _insert(conn, tracking_events).values(row).on_conflict_do_nothing()
    if (await conn.execute(insert)).rowcount != 1:
        raise _Lost


def _carrier_key(shipment: Shipment) -> dict[str, str]:
    """The shipment's row in carrier_ids."""
    return {
        "carrier": shipment.carrier.value,
        "carrier_shipment_id": shipment.carrier_shipment_id,
        "tenant": shipment.tenant,
        "shipment_id": shipment.id,
    }


def _direction(
    first: int, after: str | None, last: int | None, before: str | None, order: ShipmentOrder
) -> tuple[int, str | None, bool, bool]:
    """A listing's size, the position its cursor names, whether it is read backward
    and whether the index is read descending. A backward page is read the other
    way, from its cursor, then turned round."""
    backward = last is not None
    if backward:
        if first or after is not None:
            raise ValueError("a page is first and after, or last and before")
        size, cursor = last or 0, before
    else:
        if before is not None:
            raise ValueError("before goes with last")
        size, cursor = first, after
    check_first(size)
    start = decode_cursor(cursor) if cursor is not None else None
    if start is not None and not storable(start):
        raise InvalidCursor(cursor or "")  # no stored id holds that text
    return size, start, backward, (order is ShipmentOrder.NEWEST_FIRST) != backward


def _database_now_ms(engine: AsyncEngine) -> Any:
    """The database's clock in ms since the Unix epoch, as a SQL expression (constant
    within a statement on both dialects)."""
    if engine.dialect.name == "postgresql":
        epoch = sa.func.extract("epoch", sa.func.now())
        return sa.cast(sa.func.floor(epoch * 1000), sa.BigInteger)
    # SQLite: julianday('now') has millisecond precision; 2440587.5 is the Unix epoch
    return sa.cast((sa.func.julianday("now") - 2440587.5) * 86_400_000, sa.BigInteger)


async def _count_distinct(
    conn: AsyncConnection, named: sa.Select[Any], params: dict[str, Any], at_most: int
) -> int:
    """How many shipments the terms name, read as a stream until at_most are seen:
    a shipment has a handful of terms, so that is a few times at_most entries."""
    seen: set[str] = set()
    async with conn.begin():  # PostgreSQL streams through a cursor, in a transaction
        result = await conn.stream(named.execution_options(yield_per=COUNT_CHUNK), params)
        async for chunk in result.partitions():
            seen.update(row.shipment_id for row in chunk)
            if len(seen) >= at_most:
                break
        await result.close()
    return min(len(seen), at_most)


def _inserted_rows(stored: Shipment) -> dict[sa.Table, builtins.list[dict[str, Any]]]:
    """The rows a shipment newly stored inserts, table by table (its tracking number
    and its poll lease are upserts of their own: _take_tracking_number, _freshen).
    UnstorableShipment for text the columns cannot hold."""
    encoded = write_shipment(stored)
    _check_columns(stored)
    return {
        shipments: [
            {
                "tenant": stored.tenant,
                "id": stored.id,
                "created_us": micros(stored.created_at),
                "created_at": _aware(stored.created_at),
                **_columns(stored, encoded),
            }
        ],
        shipment_ids: [{"id": stored.id, "tenant": stored.tenant}],
        carrier_ids: [_carrier_key(stored)],
        search_terms: _term_rows(stored),
    }


def _term_rows(shipment: Shipment) -> builtins.list[dict[str, Any]]:
    created_us = micros(shipment.created_at)
    return [
        {
            "tenant": shipment.tenant,
            "shipment_id": shipment.id,
            "term": term,
            "created_us": created_us,
        }
        for term in sorted(search_terms_of(shipment))
    ]


def _addressed(
    carrier: CarrierCode, carrier_shipment_id: str | None, tracking_number: str | None
) -> Any:
    """The orphans addressed to that carrier id or tracking number; None for neither."""
    keys = []
    if _key_or_none(carrier_shipment_id):
        keys.append(orphan_events.c.carrier_shipment_id == carrier_shipment_id)
    if _key_or_none(tracking_number):
        keys.append(orphan_events.c.tracking_number == tracking_number)
    if not keys:
        return None
    return sa.and_(orphan_events.c.carrier == carrier.value, sa.or_(*keys))


def _key_or_none(value: str | None) -> str | None:
    """An orphan's key, or None when it is empty or no stored shipment could have it
    (carrier ids and tracking numbers are stored printable and short: write_shipment)."""
    if value and len(value) <= MAX_KEY_PART and value.isprintable() and storable(value):
        return value
    return None


def _can_match(filter: ShipmentFilter | None) -> bool:
    if filter is None:
        return True
    searched = search_prefixes(filter.search) if filter.search else set()
    return (
        storable(filter.reference)
        and storable(filter.tracking_number)
        and all(storable(prefix) for prefix in searched)
    )


def _check_columns(shipment: Shipment) -> None:
    """UnstorableShipment for text the columns cannot hold (the document could)."""
    for name, most in COLUMN_BYTES.items():
        value = getattr(shipment, name)
        if not storable(value) or (value is not None and len(value.encode()) > most):
            log.error("shipment not stored: unusable text", shipment=repr(shipment.id), field=name)
            raise UnstorableShipment(f"shipment {shipment.id!r} cannot be stored: bad {name}")
