"""What is particular to the SQL store (the contract suite runs it on SQLite and PostgreSQL):
its migrations, a restart, writers in two processes, and a database that is not there."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from shipgraph.codec import encode_shipment
from shipgraph.domain import CarrierCode, Shipment
from shipgraph.store import (
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    InvalidCursor,
    SchemaBehind,
    ShipmentFilter,
    ShipmentNotFound,
    StoreBusy,
    StoreContended,
    StoreUnavailable,
    UnstorableShipment,
)
from shipgraph.store.sql import SqlShipmentStore, current_is_head, upgrade
from shipgraph.store.sql import engine as sql_engine
from shipgraph.store.sql.engine import MEMORY_URL
from shipgraph.store.sql.migrate import alembic_config, current_revisions, head_revisions
from shipgraph.store.sql.tables import metadata
from shipgraph.store.sql.tables import poll_leases as poll_leases_table
from shipgraph.store.sql.tables import shipments as shipments_table
from shipgraph.store.sql.tables import tracking_numbers as tracking_numbers_table
from tests.store.shipments import at, orphan, shipment
from tests.support.redis_server import free_port

TABLES = {
    "shipments",
    "shipment_ids",
    "carrier_ids",
    "tracking_numbers",
    "poll_leases",
    "idempotency_keys",
    "orphan_events",
    "tracking_events",
    "uncertain_bookings",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "postgresql":
        fresh: str = request.getfixturevalue("fresh_postgres_url")
        return fresh
    return f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"


@pytest.fixture
async def migrated(url: str) -> str:
    await upgrade(url)
    return url


@pytest.fixture
async def sqlite_migrated(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"
    await upgrade(url)
    return url


@pytest.fixture
async def stores(migrated: str) -> AsyncIterator[Callable[[], SqlShipmentStore]]:
    """Stores on the same database file, each with its own engine (a process each)."""
    made: list[SqlShipmentStore] = []

    def make() -> SqlShipmentStore:
        made.append(SqlShipmentStore.from_url(migrated))
        return made[-1]

    yield make
    for store in made:
        await store.aclose()


def _tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


# --- migrations ---------------------------------------------------------------------


async def test_an_empty_database_is_behind_and_upgrade_brings_it_to_head(url: str) -> None:
    assert not await current_is_head(url)
    assert await current_revisions(url) == ()
    await upgrade(url)
    assert await current_is_head(url)
    assert await current_revisions(url) == head_revisions()
    await upgrade(url)  # again: nothing to do
    assert await current_is_head(url)
    engine = sql_engine.create_engine(url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
            # the revision written out by hand makes exactly what tables.py describes
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_a_store_on_an_unmigrated_database_is_unavailable_not_a_crash(url: str) -> None:
    store = SqlShipmentStore.from_url(url)
    try:
        with pytest.raises(StoreUnavailable, match=r"no such table|does not exist"):
            await store.get("acme", "s1")
    finally:
        await store.aclose()


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(sqlite_migrated: str) -> None:
    store = SqlShipmentStore.from_url(sqlite_migrated)
    try:
        async with store.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert (mode, keys, busy) == ("wal", 1, sql_engine.SQLITE_BUSY_TIMEOUT_MS)
    finally:
        await store.aclose()


async def test_upgrading_from_0001_keeps_every_shipment_findable(url: str) -> None:
    """0003 moves the cross-tenant keys to lookup tables: shipments stored before it are
    found by the carrier's id, and their ids and carrier ids stay taken."""
    await upgrade(url, "0001")
    stored = shipment("s1", carrier_shipment_id="C-1", tracking_number="T-1")
    row = {
        "tenant": stored.tenant,
        "id": stored.id,
        "version": 1,
        "carrier": stored.carrier.value,
        "carrier_shipment_id": stored.carrier_shipment_id,
        "tracking_number": stored.tracking_number,
        "status": stored.status.value,
        "reference": stored.reference,
        "created_us": 1,
        "created_at": stored.created_at,
        "document": encode_shipment(replace(stored, version=1)),
    }
    engine = sql_engine.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(shipments_table).values(row))
            owner = {"tenant": "acme", "shipment_id": "s1"}
            await conn.execute(
                sa.insert(tracking_numbers_table).values(
                    carrier="ENVIO", tracking_number="T-1", **owner
                )
            )
            await conn.execute(
                sa.insert(poll_leases_table).values(
                    carrier="ENVIO", fresh_ms=0, prior_fresh_ms=0, **owner
                )
            )
    finally:
        await engine.dispose()
    await upgrade(url)  # SQLite copies shipments: nothing may cascade from that
    store = SqlShipmentStore.from_url(url)
    try:
        found = await store.find_by_carrier_id(CarrierCode.ENVIO, "C-1")
        assert found is not None and found.id == "s1"
        assert await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1") == found
        claimed = await store.claim_due(CarrierCode.ENVIO, interval_s=60, limit=5)
        assert [s.id for s in claimed] == ["s1"]
        with pytest.raises(DuplicateShipment):
            await store.create(shipment("s1", tenant="globex", carrier_shipment_id="C-9"))
        with pytest.raises(DuplicateShipment):
            await store.create(shipment("s2", carrier_shipment_id="C-1"))
    finally:
        await store.aclose()


async def downgrade(url: str, revision: str) -> None:
    engine = sql_engine.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, url, revision)
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_0003_goes_down_and_up_again_keeping_what_0002_had(url: str) -> None:
    await upgrade(url)
    store = SqlShipmentStore.from_url(url)
    try:
        await store.create(shipment("s1", carrier_shipment_id="C-1", tracking_number="T-1"))
    finally:
        await store.aclose()
    await downgrade(url, "0002")
    assert await current_revisions(url) == ("0002",)
    await upgrade(url)
    store = SqlShipmentStore.from_url(url)
    try:
        found = await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1")
        assert found is not None and found.id == "s1"
        assert await store.find_by_carrier_id(CarrierCode.ENVIO, "C-1") == found
    finally:
        await store.aclose()


# --- opening: the schema checked, or made in memory -----------------------------------


async def test_a_store_opens_only_on_a_database_at_head(url: str) -> None:
    store = SqlShipmentStore.from_url(url)
    try:
        with pytest.raises(SchemaBehind, match=r"(behind \(at empty|no database at).*db upgrade"):
            await store.open()
        await upgrade(url)
        await store.open()
    finally:
        await store.aclose()


async def test_ready_only_once_the_schema_is_this_versions(url: str) -> None:
    """A store that opened blind (the database not answering) checks the schema when
    it first answers: /readyz stays 503 on a database behind."""
    store = SqlShipmentStore.from_url(url)
    try:
        assert not await store.ping()  # nothing there (SQLite: no file), or empty
        await upgrade(url)
        assert await store.ping()
    finally:
        await store.aclose()


async def test_a_database_migrated_by_a_newer_version_is_refused(sqlite_migrated: str) -> None:
    store = SqlShipmentStore.from_url(sqlite_migrated)
    try:
        async with store.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(SchemaBehind, match="newer than this version"):
            await store.open()
    finally:
        await store.aclose()


async def test_an_unreachable_database_opens_and_answers_unavailable() -> None:
    """Start-up does not wait for the database: /readyz and each request say it."""
    store = SqlShipmentStore.from_url(f"postgresql+asyncpg://x@127.0.0.1:{free_port()}/x")
    try:
        await store.open()
        assert not await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.get("acme", "s1")
    finally:
        await store.aclose()


async def test_a_database_in_memory_is_made_at_open_and_private_to_its_store() -> None:
    first, second = SqlShipmentStore.from_url(MEMORY_URL), SqlShipmentStore.from_url(MEMORY_URL)
    try:
        await first.open()
        await second.open()
        await first.create(shipment("s1"))
        assert await first.get("acme", "s1") is not None
        assert await second.get("acme", "s1") is None
        # one connection, taken in turn: concurrent writers and readers all get through
        await asyncio.gather(
            *(first.update("acme", "s1", renamed(n)) for n in range(50)),
            *(first.get("acme", "s1") for _ in range(50)),
        )
        stored = await first.get("acme", "s1")
        assert stored is not None and stored.version == 51
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_database_in_memory_is_gone_with_its_store() -> None:
    store = SqlShipmentStore.from_url(MEMORY_URL)
    await store.open()
    name = store.engine.url.database
    assert name is not None and store.engine.url.query["mode"] == "memory"
    await store.aclose()
    probe = sqlite3.connect(f"{name}?mode=memory&cache=shared", uri=True)
    try:
        tables = probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        probe.close()
    assert tables == []


def renamed(number: int) -> Callable[[Shipment], Shipment]:
    def mutate(current: Shipment) -> Shipment:
        return replace(current, reference=f"{current.reference}+{number}")

    return mutate


# --- a restart ----------------------------------------------------------------------


async def test_a_restart_keeps_shipments_keys_orphans_and_leases(
    stores: Callable[[], SqlShipmentStore],
) -> None:
    before = stores()
    await before.create(shipment("s1", tracking_number="T-1"))
    updated = await before.update("acme", "s1", lambda s: replace(s, reference="moved"))
    assert await before.reserve_idempotency("acme", "k", "h") == IdempotencyResult(
        IdempotencyState.RESERVED
    )
    await before.complete_idempotency("acme", "k", "s1")
    await before.add_orphan(orphan("e1", carrier_shipment_id="C-9"))
    claimed = await before.claim_due(CarrierCode.ENVIO, now=at(60), interval_s=300, limit=5)
    assert [s.id for s in claimed] == ["s1"]
    await before.aclose()

    after = stores()
    assert await after.get("acme", "s1") == updated
    found = await after.find_by_tracking_number(CarrierCode.ENVIO, "T-1")
    assert found == updated
    completed = IdempotencyResult(IdempotencyState.COMPLETED, "s1")
    assert await after.reserve_idempotency("acme", "k", "h") == completed
    taken = await after.take_orphans(CarrierCode.ENVIO, "C-9", None)
    assert [u.event_id for u in taken] == ["e1"]
    # the claim made before the restart is still its lease
    assert await after.claim_due(CarrierCode.ENVIO, now=at(64), interval_s=300, limit=5) == []
    again = await after.claim_due(CarrierCode.ENVIO, now=at(65), interval_s=300, limit=5)
    assert [s.id for s in again] == ["s1"]


# --- writers in two processes -------------------------------------------------------


async def test_concurrent_updates_from_two_engines_apply_or_are_contended(
    stores: Callable[[], SqlShipmentStore],
) -> None:
    one, two = stores(), stores()
    await one.create(shipment("s1"))

    def append(event_id: str) -> Callable[[Shipment], Shipment]:
        return lambda s: replace(s, applied_event_ids=(*s.applied_event_ids, event_id))

    events = [f"e{i}" for i in range(40)]
    results = await asyncio.gather(
        *((one if i % 2 else two).update("acme", "s1", append(e)) for i, e in enumerate(events)),
        return_exceptions=True,
    )
    others = [r for r in results if not isinstance(r, Shipment | StoreContended)]
    assert others == []
    applied = {r.applied_event_ids[-1] for r in results if isinstance(r, Shipment)}
    final = await one.get("acme", "s1")
    assert final is not None
    assert set(final.applied_event_ids) == applied  # nothing lost, nothing unannounced
    assert final.version == 1 + len(applied)
    assert len(applied) >= len(events) // 2  # most get through (the rest retry)


async def test_concurrent_claims_from_two_engines_take_each_shipment_once(
    stores: Callable[[], SqlShipmentStore],
) -> None:
    one, two = stores(), stores()
    for i in range(40):
        await one.create(shipment(f"s{i:02d}", minute=i % 5))
    claims = await asyncio.gather(
        *(
            store.claim_due(CarrierCode.ENVIO, now=at(30), interval_s=300, limit=3)
            for store in (one, two) * 10
        )
    )
    claimed = sorted(s.id for batch in claims for s in batch)
    assert len(claimed) == len(set(claimed))
    assert set(claimed) <= {f"s{i:02d}" for i in range(40)}


# --- a database that is not there, or held too long ----------------------------------


async def test_an_unreachable_database_answers_unavailable(tmp_path: Path) -> None:
    store = SqlShipmentStore.from_url(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such.db'}")
    try:
        assert not await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.get("acme", "s1")
        with pytest.raises(StoreUnavailable):
            await store.create(shipment("s1"))
        with pytest.raises(StoreUnavailable):
            await store.reserve_idempotency("acme", "k", "h")
    finally:
        await store.aclose()
        await _aiosqlite_workers_stopped()


async def _aiosqlite_workers_stopped() -> None:
    """aiosqlite stops the worker thread of a failed connect without waiting for it;
    let those finish while this test's loop still runs (not a timing assertion)."""
    for _ in range(200):
        if not any("_connection_worker_thread" in t.name for t in threading.enumerate()):
            return
        await asyncio.sleep(0.01)


async def test_a_postgresql_that_refuses_connections_answers_unavailable() -> None:
    url = f"postgresql+asyncpg://shipgraph@127.0.0.1:{free_port()}/shipgraph"
    store = SqlShipmentStore.from_url(url)
    try:
        assert not await store.ping()
        with pytest.raises(StoreUnavailable):
            await store.get("acme", "s1")
        with pytest.raises(StoreUnavailable):
            await store.update("acme", "s1", lambda s: replace(s, reference="x"))
        with pytest.raises(StoreUnavailable):
            await store.claim_due(CarrierCode.ENVIO, now=at(0), interval_s=60, limit=5)
    finally:
        await store.aclose()


async def test_a_postgresql_that_never_answers_is_unavailable_in_bounded_time() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accepts, then says nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql+asyncpg://shipgraph@127.0.0.1:{port}/shipgraph"
    store = SqlShipmentStore.from_url(url, connect_args={"timeout": 0.2})
    try:
        with pytest.raises(StoreUnavailable):
            await store.get("acme", "s1")
        assert not await store.ping()
    finally:
        await store.aclose()
        server.close()
        for writer in accepted:
            writer.close()
        await server.wait_closed()


async def test_a_database_locked_too_long_answers_busy(
    sqlite_migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_engine, "SQLITE_BUSY_TIMEOUT_MS", 100)
    store = SqlShipmentStore.from_url(sqlite_migrated)
    holder = sqlite3.connect(tmp_path / "shipgraph.db", isolation_level=None)
    try:
        await store.create(shipment("s1"))
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreBusy) as raised:
            await store.create(shipment("s2"))
        assert raised.value.retry_after_s >= 1
        with pytest.raises(StoreBusy):
            await store.update("acme", "s1", lambda s: replace(s, reference="x"))
        found = await store.get("acme", "s1")  # readers are not held up under WAL
        assert found is not None and found.version == 1
        holder.execute("ROLLBACK")
        await store.create(shipment("s2"))
    finally:
        holder.close()
        await store.aclose()


# --- text no column can hold (PostgreSQL refuses NUL; no driver sends a lone surrogate)


def cursor_of(*value: object) -> str:
    raw = json.dumps(list(value)).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
async def test_unstorable_text_matches_nothing_and_is_not_written(
    stores: Callable[[], SqlShipmentStore], bad: str
) -> None:
    store = stores()
    await store.create(shipment("s1", tracking_number="T-1"))
    assert await store.get("acme", bad) is None
    assert await store.get(bad, "s1") is None
    found = await store.get_many("acme", [bad, "s1"])
    assert [s.id if s else None for s in found] == [None, "s1"]
    assert await store.versions(bad, ["s1"]) == [None]
    assert await store.find_by_carrier_id(CarrierCode.ENVIO, bad) is None
    assert await store.find_by_tracking_number(CarrierCode.ENVIO, bad) is None
    assert (await store.list("acme", 5, filter=ShipmentFilter(reference=bad))).shipments == []
    assert (await store.list(bad, 5)).shipments == []
    with pytest.raises(InvalidCursor):
        await store.list("acme", 5, cursor_of(1, bad))
    with pytest.raises(ShipmentNotFound):
        await store.update("acme", bad, lambda s: replace(s, reference="x"))
    with pytest.raises(UnstorableShipment):
        await store.create(replace(shipment("s2"), reference=bad))
    with pytest.raises(UnstorableShipment):
        await store.create(replace(shipment("s3"), id=bad))
    with pytest.raises(UnstorableShipment):
        await store.update("acme", "s1", lambda s: replace(s, reference=bad))
    assert (await store.get("acme", "s1") or shipment("x")).version == 1
    with contextlib.suppress(UnstorableShipment):  # a lone surrogate is not even encoded
        await store.add_orphan(orphan("e1", carrier_shipment_id=bad))
    assert await store.take_orphans(CarrierCode.ENVIO, bad, None) == []


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b", "\x01" + b"a\x00b".hex()])
async def test_any_idempotency_key_is_kept_apart_from_every_other(
    stores: Callable[[], SqlShipmentStore], bad: str
) -> None:
    store = stores()
    reserved = IdempotencyResult(IdempotencyState.RESERVED)
    assert await store.reserve_idempotency("acme", bad, "h") == reserved
    assert await store.reserve_idempotency("acme", "a", "h") == reserved
    assert await store.reserve_idempotency(bad, bad, "h") == reserved
    await store.complete_idempotency("acme", bad, "s1")
    completed = IdempotencyResult(IdempotencyState.COMPLETED, "s1")
    assert await store.reserve_idempotency("acme", bad, "h") == completed
    await store.release_idempotency("acme", bad)
    assert await store.reserve_idempotency("acme", bad, "h") == reserved


async def test_long_text_is_refused_or_kept_apart_never_an_index_error(
    stores: Callable[[], SqlShipmentStore],
) -> None:
    store = stores()
    with pytest.raises(UnstorableShipment):
        await store.create(replace(shipment("s1"), reference="é" * 600))  # 1200 bytes
    await store.create(replace(shipment("s1"), reference="é" * 500))
    long_keys = ["k" * 100_000, "k" * 100_000 + "x", "\x02" + "k" * 10]
    for key in long_keys:
        reserved = await store.reserve_idempotency("t" * 5_000, key, "h")
        assert reserved == IdempotencyResult(IdempotencyState.RESERVED)
    await store.add_orphan(orphan("e1", carrier_shipment_id="c" * 100_000))
    assert await store.take_orphans(CarrierCode.ENVIO, "c" * 100_000, None) == []
    found = await store.list("acme", 5, filter=ShipmentFilter(reference="r" * 100_000))
    assert found.shipments == []


async def test_batches_larger_than_one_statement_takes(
    stores: Callable[[], SqlShipmentStore],
) -> None:
    store = stores()
    await store.create(shipment("s1"))
    ids = [f"x{i}" for i in range(40_000)] + ["s1"]
    found = await store.get_many("acme", ids)
    assert [s.id for s in found if s is not None] == ["s1"] and len(found) == len(ids)
    assert (await store.versions("acme", ids))[-1] == 1
