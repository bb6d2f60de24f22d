"""A stored record that cannot be decoded never takes the rest down, on SQLite and
PostgreSQL.

Records are damaged by hand behind the store's back (the row updated through another
engine), the way an old bug or an operator would.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shipgraph.codec import encode_shipment, encode_update
from shipgraph.domain import CarrierCode, Courier, GeoPoint, Shipment
from shipgraph.store import (
    CorruptRecord,
    ShipmentFilter,
    ShipmentStore,
    UnstorableShipment,
    _common,
)
from shipgraph.store.sql import SqlShipmentStore, upgrade
from shipgraph.store.sql.tables import orphan_events, shipments
from tests.store.shipments import at, orphan, shipment


def with_courier(s: Shipment) -> Shipment:
    location = GeoPoint(-6.2, 106.8)
    return replace(s, courier=Courier(name="Budi", location=location, located_at=at(1)))


def poisoned(s: Shipment) -> bytes:
    """What the gateway stored before the fix from ``courier.latitude: "1e999"``: the
    infinite float written as null, which the shipment type refuses to read back."""
    record = json.loads(encode_shipment(with_courier(s)))
    record["courier"]["location"]["latitude"] = None
    return json.dumps(record).encode()


DAMAGE = {
    "latitude_null": poisoned,
    "not_json": lambda s: b"\xff{not json",
    "truncated": lambda s: encode_shipment(s)[:40],
    "wrong_shape": lambda s: b"[1, 2, 3]",
    "bad_date": lambda s: encode_shipment(s).replace(b"2024-05-01", b"2024-13-45"),
}


class Rig:
    def __init__(self, store: ShipmentStore, sql: AsyncEngine) -> None:
        self.store = store
        self.sql = sql

    async def damage(self, shipment_id: str, raw: bytes) -> None:
        async with self.sql.begin() as conn:
            where = shipments.c.id == shipment_id
            await conn.execute(sa.update(shipments).where(where).values(document=raw))

    async def raw(self, shipment_id: str) -> bytes | None:
        query = sa.select(shipments.c.document).where(shipments.c.id == shipment_id)
        async with self.sql.connect() as conn:
            document: bytes | None = (await conn.execute(query)).scalar_one_or_none()
        return document


@pytest.fixture(params=["sqlite", "postgresql"])
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    if request.param == "sqlite":
        database = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
        await upgrade(database)
    else:
        database = request.getfixturevalue("migrated_postgres_url")
    sql_store = SqlShipmentStore.from_url(database)
    engine = create_async_engine(database)
    try:
        yield Rig(sql_store, engine)
    finally:
        await sql_store.aclose()
        await engine.dispose()


class Log:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **fields: self.records.append((level, event, fields))


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Log:
    recorder = Log()
    monkeypatch.setattr(_common, "log", recorder)
    return recorder


async def three(rig: Rig, damage: str) -> None:
    """s1, s2 (damaged), s3 of tenant acme, s2 newest but one."""
    for n, minute in ((1, 0), (2, 1), (3, 2)):
        await rig.store.create(shipment(f"s{n}", minute=minute, tracking_number=f"T{n}"))
    await rig.damage("s2", DAMAGE[damage](shipment("s2", minute=1)))


@pytest.mark.parametrize("damage", DAMAGE)
async def test_reading_it_by_id_is_a_corrupt_record_error(rig: Rig, damage: str, log: Log) -> None:
    await three(rig, damage)
    with pytest.raises(CorruptRecord) as raised:
        await rig.store.get("acme", "s2")
    assert raised.value.shipment_ids == ("s2",)
    assert "unreadable" in str(raised.value)
    assert (await rig.store.get("acme", "s1")) is not None
    [(level, event, fields)] = log.records
    assert level == "error" and "unreadable" in event and fields["shipment"] == "s2"


async def test_another_tenant_still_gets_nothing(rig: Rig) -> None:
    await three(rig, "latitude_null")
    assert await rig.store.get("globex", "s2") is None  # its tenant can still be read


@pytest.mark.parametrize("damage", DAMAGE)
async def test_a_batch_names_the_bad_one_and_keeps_the_rest(rig: Rig, damage: str) -> None:
    await three(rig, damage)
    with pytest.raises(CorruptRecord) as raised:
        await rig.store.get_many("acme", ["s1", "s2", "s3", "nope"])
    assert raised.value.shipment_ids == ("s2",)
    found = raised.value.found
    assert [s.id if s else None for s in found] == ["s1", None, "s3", None]
    versions = await rig.store.versions("acme", ["s1", "s2", "s3"])
    assert versions[0] == versions[2] == 1


@pytest.mark.parametrize("damage", DAMAGE)
async def test_listings_skip_it_and_log_it(rig: Rig, damage: str, log: Log) -> None:
    await three(rig, damage)
    page = await rig.store.list("acme", 10)
    assert [s.id for s in page.shipments] == ["s3", "s1"]
    assert not page.has_next_page
    first = await rig.store.list("acme", 1)
    assert [s.id for s in first.shipments] == ["s3"] and first.has_next_page
    rest = await rig.store.list("acme", 1, after=first.cursors[0])
    assert [s.id for s in rest.shipments] == ["s1"] and not rest.has_next_page
    filtered = await rig.store.list("acme", 5, filter=ShipmentFilter(carrier=CarrierCode.ENVIO))
    assert [s.id for s in filtered.shipments] == ["s3", "s1"]
    assert log.records and all(record[2]["shipment"] == "s2" for record in log.records)


@pytest.mark.parametrize("damage", DAMAGE)
async def test_webhook_lookups_and_updates_raise_it(rig: Rig, damage: str) -> None:
    await three(rig, damage)
    before = await rig.raw("s2")
    with pytest.raises(CorruptRecord):
        await rig.store.find_by_carrier_id(CarrierCode.ENVIO, "c-s2")
    with pytest.raises(CorruptRecord):
        await rig.store.find_by_tracking_number(CarrierCode.ENVIO, "T2")
    with pytest.raises(CorruptRecord):
        await rig.store.update("acme", "s2", lambda s: replace(s, description="x"))
    assert await rig.raw("s2") == before
    found = await rig.store.find_by_carrier_id(CarrierCode.ENVIO, "c-s3")
    assert found is not None and found.id == "s3"


@pytest.mark.parametrize("damage", DAMAGE)
async def test_tracking_polls_skip_it(rig: Rig, damage: str) -> None:
    await three(rig, damage)
    claimed = await rig.store.claim_due(CarrierCode.ENVIO, now=at(60), interval_s=60.0, limit=10)
    assert sorted(s.id for s in claimed) == ["s1", "s3"]


async def test_an_unreadable_orphan_is_dropped_and_the_others_adopted(rig: Rig) -> None:
    await rig.store.add_orphan(orphan("e1", carrier_shipment_id="c-9"))
    await rig.store.add_orphan(orphan("e2", carrier_shipment_id="c-9"))
    bad = encode_update(orphan("e1", carrier_shipment_id="c-9"))
    async with rig.sql.begin() as conn:
        damaged = sa.update(orphan_events).where(orphan_events.c.event == bad)
        await conn.execute(damaged.values(event=b'{"carrier": "ENVIO", "event_id": 5}'))
    taken = await rig.store.take_orphans(CarrierCode.ENVIO, "c-9", None)
    assert [update.event_id for update in taken] == ["e2"]


# --- nothing unreadable is written --------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        GeoPoint(math.inf, 106.8),
        GeoPoint(-6.2, math.nan),
    ],
)
async def test_a_shipment_that_would_not_read_back_is_not_stored(rig: Rig, bad: GeoPoint) -> None:
    one = with_courier(shipment("s1"))
    poison = replace(one, id="s2", carrier_shipment_id="c-s2")
    poison = replace(poison, courier=replace(one.courier or Courier(), location=bad))
    with pytest.raises(UnstorableShipment):
        await rig.store.create(poison)
    assert await rig.raw("s2") is None
    await rig.store.create(one)
    with pytest.raises(UnstorableShipment):
        await rig.store.update("acme", "s1", lambda s: replace(s, courier=poison.courier))
    stored = await rig.store.get("acme", "s1")
    assert stored is not None and stored.version == 1 and stored.courier == one.courier


async def test_a_lone_surrogate_is_refused_too(rig: Rig) -> None:
    with pytest.raises(UnstorableShipment):
        await rig.store.create(replace(shipment("s1"), description="a\ud800b"))
    assert await rig.raw("s1") is None
    assert (await rig.store.list("acme", 5)).shipments == []


@pytest.mark.parametrize(
    "changes",
    [
        {"tracking_number": "T" * 900_000},
        {"tracking_number": "T1\x00"},
        {"carrier_shipment_id": "c\n1"},
    ],
)
async def test_an_unusable_lookup_key_is_refused(rig: Rig, changes: dict[str, str]) -> None:
    with pytest.raises(UnstorableShipment):
        await rig.store.create(replace(shipment("s1"), **changes))
    assert await rig.raw("s1") is None
    await rig.store.create(shipment("s1", tracking_number="T1"))
    with pytest.raises(UnstorableShipment):
        await rig.store.update("acme", "s1", lambda s: replace(s, **changes))
    found = await rig.store.find_by_tracking_number(CarrierCode.ENVIO, "T1")
    assert found is not None and found.version == 1


async def test_an_orphan_that_would_not_read_back_is_not_kept(rig: Rig) -> None:
    bad = replace(orphan("e1", carrier_shipment_id="c-9"), courier=Courier(name="a\ud800"))
    with pytest.raises(UnstorableShipment):
        await rig.store.add_orphan(bad)
    inf = Courier(location=GeoPoint(math.inf, 0.0))
    with pytest.raises(UnstorableShipment):
        await rig.store.add_orphan(replace(bad, courier=inf))
    await rig.store.add_orphan(orphan("e2", carrier_shipment_id="c-9"))
    taken = await rig.store.take_orphans(CarrierCode.ENVIO, "c-9", None)
    assert [update.event_id for update in taken] == ["e2"]
