"""The tracking poller over the memory store, with fake carriers and a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from shipgraph.app import create_app
from shipgraph.carriers.base import AdmittedCall, CarrierBase, CarrierError, CarrierInfo
from shipgraph.carriers.registry import CarrierRegistry
from shipgraph.config import ConfigError, load_settings
from shipgraph.domain import (
    Capability,
    CarrierCode,
    ErrorCode,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TrackingUpdate,
)
from shipgraph.events import poller as poller_module
from shipgraph.events.ingest import ShipmentUpdater
from shipgraph.events.memory import MemoryEventBus
from shipgraph.events.poller import TrackingPoller
from shipgraph.store.base import StoreUnavailable
from shipgraph.store.sql import SqlShipmentStore, create_engine
from shipgraph.store.sql.engine import MEMORY_URL
from shipgraph.store.sql.tables import shipments
from tests.store.shipments import BASE, shipment
from tests.support.redis_server import free_port

INTERVAL_S = 300.0


class Clock:
    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeCarrier(CarrierBase):
    """Answers tracking with the status the test set for a carrier id."""

    def __init__(self, code: CarrierCode, *capabilities: Capability) -> None:
        self.info = CarrierInfo(code, code.value, (), frozenset(capabilities or {Capability.TRACK}))
        self.status: dict[str, ShipmentStatus] = {}
        self.calls: list[str] = []
        self.failures: list[Exception] = []
        self.gate: asyncio.Event | None = None
        self.in_flight = self.max_in_flight = 0

    async def refresh(self, shipment: Shipment) -> TrackingUpdate:
        self.calls.append(shipment.id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.failures:
                raise self.failures.pop(0)
        finally:
            self.in_flight -= 1
        status = self.status.get(shipment.carrier_shipment_id, shipment.status)
        return TrackingUpdate(
            carrier=self.info.code,
            event_id=f"track:{status.value}",
            carrier_shipment_id=shipment.carrier_shipment_id,
            status=status,
            carrier_status=status.value.lower(),
        )


class Guard:
    def __init__(self) -> None:
        self.open = False

    async def admit(self) -> AdmittedCall:
        raise NotImplementedError

    async def healthy(self) -> bool:
        return not self.open


class Log:
    """Stands in for the module's structlog logger: (level, event, fields) per call."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **fields: self.records.append((level, event, fields))

    def at(self, *levels: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [record for record in self.records if record[0] in levels]


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Log:
    recorder = Log()
    monkeypatch.setattr(poller_module, "log", recorder)
    return recorder


def unavailable(code: CarrierCode = CarrierCode.ENVIO) -> CarrierError:
    return CarrierError(code, ErrorCode.CARRIER_UNAVAILABLE, "circuit open")


MADE: list[SqlShipmentStore] = []


def memory_store() -> SqlShipmentStore:
    """A store on a database in memory, closed after the test."""
    store = SqlShipmentStore.from_url(MEMORY_URL)
    MADE.append(store)
    return store


@pytest.fixture(autouse=True)
async def close_stores() -> AsyncIterator[None]:
    yield
    while MADE:
        await MADE.pop().aclose()


class Rig:
    """A poller with its store, bus, carriers (Envio, Borzo track; Entrego cannot)."""

    def __init__(self, batch: int = 50, concurrency: int = 8) -> None:
        self.clock = Clock()
        self.store = memory_store()
        self.bus = MemoryEventBus()
        self.envio = FakeCarrier(CarrierCode.ENVIO)
        self.borzo = FakeCarrier(CarrierCode.BORZO)
        self.entrego = FakeCarrier(CarrierCode.ENTREGO, Capability.CREATE, Capability.WEBHOOKS)
        self.guard = Guard()
        carriers = {c.info.code: c for c in (self.envio, self.borzo, self.entrego)}
        self.registry = CarrierRegistry(carriers, {CarrierCode.BORZO: self.guard})
        self.updater = ShipmentUpdater(self.store, self.bus, self.clock)
        self.poller = TrackingPoller(
            self.store,
            self.registry,
            self.updater,
            INTERVAL_S,
            lease_clock=self.clock,
            batch=batch,
            concurrency=concurrency,
        )

    async def create(self, *shipments: Shipment) -> None:
        for one in shipments:
            await self.store.create(one)

    async def status(self, shipment_id: str) -> ShipmentStatus:
        stored = await self.store.get("acme", shipment_id)
        assert stored is not None
        return stored.status


@pytest.fixture
def rig() -> Rig:
    return Rig()


async def test_a_due_shipment_is_refreshed_and_the_change_published(rig: Rig) -> None:
    await rig.create(shipment("s1"))
    rig.envio.status["c-s1"] = ShipmentStatus.IN_TRANSIT
    async with rig.bus.subscribe("acme") as events:
        rig.clock.advance(INTERVAL_S - 1)
        assert (await rig.poller.run_once()).polled == {}
        assert rig.envio.calls == []
        rig.clock.advance(1)
        stats = await rig.poller.run_once()
        assert stats.polled == {CarrierCode.ENVIO: 1} and stats.changed == {CarrierCode.ENVIO: 1}
        event: ShipmentEvent = await asyncio.wait_for(anext(aiter(events)), 1)
    assert event.shipment.id == "s1" and event.previous_status == ShipmentStatus.CREATED
    assert event.shipment.status == ShipmentStatus.IN_TRANSIT
    assert await rig.status("s1") == ShipmentStatus.IN_TRANSIT


async def test_each_shipment_once_per_interval(rig: Rig) -> None:
    await rig.create(shipment("s1"), shipment("s2", minute=1))
    rig.clock.advance(INTERVAL_S + 60)
    await rig.poller.run_once()
    await rig.poller.run_once()
    assert sorted(rig.envio.calls) == ["s1", "s2"]
    rig.clock.advance(INTERVAL_S)
    await rig.poller.run_once()
    assert sorted(rig.envio.calls) == ["s1", "s1", "s2", "s2"]


async def test_a_recent_webhook_spares_the_poll(rig: Rig) -> None:
    created = shipment("s1")
    await rig.create(created)
    rig.clock.advance(200)
    webhook = TrackingUpdate(CarrierCode.ENVIO, "hook-1", "c-s1", status=ShipmentStatus.PICKED_UP)
    await rig.updater.apply(created, webhook)
    rig.clock.advance(100)  # 300 s after creation, 100 s after the webhook
    await rig.poller.run_once()
    assert rig.envio.calls == []
    rig.clock.advance(200)
    await rig.poller.run_once()
    assert rig.envio.calls == ["s1"]


async def test_a_finished_shipment_is_not_polled_again(rig: Rig) -> None:
    await rig.create(shipment("s1"), shipment("s2", status=ShipmentStatus.CANCELLED))
    rig.envio.status["c-s1"] = ShipmentStatus.DELIVERED
    rig.clock.advance(INTERVAL_S)
    await rig.poller.run_once()
    assert await rig.status("s1") == ShipmentStatus.DELIVERED
    rig.clock.advance(10 * INTERVAL_S)
    await rig.poller.run_once()
    assert rig.envio.calls == ["s1"]


async def test_drafts_are_not_polled(rig: Rig) -> None:
    await rig.create(shipment("s1", status=ShipmentStatus.DRAFT))
    rig.envio.status["c-s1"] = ShipmentStatus.CREATED
    rig.clock.advance(INTERVAL_S)
    await rig.poller.run_once()
    assert rig.envio.calls == []
    assert await rig.status("s1") == ShipmentStatus.DRAFT


async def test_carriers_that_cannot_track_are_left_alone(rig: Rig, log: Log) -> None:
    await rig.create(shipment("p1", carrier=CarrierCode.ENTREGO))
    await rig.create(shipment("o1", carrier=CarrierCode.ENVOY))  # not enabled
    rig.clock.advance(INTERVAL_S)
    stats = await rig.poller.run_once()
    assert rig.entrego.calls == [] and stats.polled == {}
    assert log.records == []


async def test_a_failed_poll_is_logged_once_per_carrier_and_stays_due(rig: Rig, log: Log) -> None:
    await rig.create(*(shipment(f"s{i}") for i in range(3)))
    not_found = CarrierError(CarrierCode.ENVIO, ErrorCode.NOT_FOUND, "no such shipment")
    rig.envio.failures = [not_found, not_found, not_found]
    rig.clock.advance(INTERVAL_S)
    stats = await rig.poller.run_once()
    assert stats.failed == {CarrierCode.ENVIO: 3}
    [(level, _, fields)] = log.records
    assert level == "warning"
    assert fields["carrier"] == "ENVIO" and fields["code"] == "NOT_FOUND"
    assert fields["failures"] == 3
    rig.envio.status.update({f"c-s{i}": ShipmentStatus.PICKED_UP for i in range(3)})
    rig.clock.advance(INTERVAL_S)
    stats = await rig.poller.run_once()
    assert stats.changed == {CarrierCode.ENVIO: 3}
    assert len(log.records) == 1


async def test_an_unavailable_carrier_gets_no_more_batches_that_round(log: Log) -> None:
    rig = Rig(batch=2)
    await rig.create(*(shipment(f"s{i}", minute=0) for i in range(5)))
    rig.envio.failures = [unavailable()]
    rig.clock.advance(INTERVAL_S)
    stats = await rig.poller.run_once()
    assert stats.polled == {CarrierCode.ENVIO: 2} and stats.failed == {CarrierCode.ENVIO: 1}
    assert [fields["code"] for _, _, fields in log.at("warning")] == ["CARRIER_UNAVAILABLE"]
    rig.clock.advance(1)  # the three it did not claim are still due
    stats = await rig.poller.run_once()
    assert stats.polled == {CarrierCode.ENVIO: 3}
    rig.clock.advance(INTERVAL_S - 1)  # and the two it claimed, an interval later
    stats = await rig.poller.run_once()
    assert stats.polled == {CarrierCode.ENVIO: 2}
    assert sorted(set(rig.envio.calls)) == [f"s{i}" for i in range(5)]


async def test_an_open_circuit_skips_the_carrier_and_keeps_its_shipments_due(
    rig: Rig, log: Log
) -> None:
    await rig.create(shipment("b1", carrier=CarrierCode.BORZO), shipment("e1"))
    rig.guard.open = True
    rig.clock.advance(INTERVAL_S)
    stats = await rig.poller.run_once()
    assert stats.skipped == {CarrierCode.BORZO} and rig.borzo.calls == []
    assert rig.envio.calls == ["e1"]  # the others go on
    assert [fields["carrier"] for _, _, fields in log.at("warning")] == ["BORZO"]
    rig.guard.open = False
    rig.clock.advance(1)
    await rig.poller.run_once()
    assert rig.borzo.calls == ["b1"]


async def test_concurrency_is_bounded_per_carrier() -> None:
    rig = Rig(batch=50, concurrency=8)
    await rig.create(*(shipment(f"s{i}") for i in range(30)))
    rig.clock.advance(INTERVAL_S)
    rig.envio.gate = asyncio.Event()
    round_ = asyncio.create_task(rig.poller.run_once())
    await asyncio.sleep(0.05)
    assert rig.envio.in_flight == 8
    rig.envio.gate.set()
    stats = await round_
    assert stats.polled == {CarrierCode.ENVIO: 30} and rig.envio.max_in_flight == 8


async def test_store_down_is_one_warning_and_the_round_ends(log: Log) -> None:
    rig = Rig()
    down = SqlShipmentStore.from_url(f"postgresql+asyncpg://x@127.0.0.1:{free_port()}/x")
    try:
        rig.poller = TrackingPoller(
            down, rig.registry, rig.updater, INTERVAL_S, lease_clock=rig.clock
        )
        stats = await rig.poller.run_once()
    finally:
        await down.aclose()
    assert stats.skipped == {CarrierCode.ENVIO, CarrierCode.BORZO}
    [(level, event, _)] = log.records
    assert level == "warning" and "store unavailable" in event


# --- the loop -----------------------------------------------------------------------


class Flaky(SqlShipmentStore):
    """Fails its first claims: the store down twice, then a bug."""

    def __init__(self) -> None:
        super().__init__(create_engine(MEMORY_URL), owns_engine=True)
        MADE.append(self)
        self.failures: list[Exception] = [
            StoreUnavailable("down"),
            StoreUnavailable("down"),
            RuntimeError("bug"),
        ]

    async def claim_due(
        self,
        carrier: CarrierCode,
        *,
        now: datetime | None = None,
        interval_s: float,
        limit: int,
    ) -> list[Shipment]:
        if self.failures:
            raise self.failures.pop(0)
        return await super().claim_due(carrier, now=now, interval_s=interval_s, limit=limit)


def real_time_poller(rig: Rig, interval_s: float = 0.01) -> TrackingPoller:
    return TrackingPoller(rig.store, rig.registry, rig.updater, interval_s)


async def eventually(check: Any, timeout_s: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_the_loop_survives_a_store_outage_and_a_bug(log: Log) -> None:
    rig = Rig()
    rig.store = Flaky()
    rig.updater = ShipmentUpdater(rig.store, rig.bus, rig.clock)
    await rig.create(shipment("s1"))  # created long ago: due
    poller = real_time_poller(rig)
    poller.start()
    try:
        await eventually(lambda: rig.envio.calls == ["s1"])
        assert poller.running
    finally:
        await poller.aclose()
    assert not poller.running
    assert {event for _, event, _ in log.at("warning", "error")} >= {
        "tracking poll: store unavailable",
        "tracking poll failed",
    }


async def test_aclose_cancels_the_polls_in_flight(rig: Rig) -> None:
    await rig.create(shipment("s1"))
    rig.envio.gate = asyncio.Event()  # never set: the carrier hangs
    poller = real_time_poller(rig)
    poller.start()
    await eventually(lambda: rig.envio.in_flight == 1)
    await asyncio.wait_for(poller.aclose(), 1)
    assert rig.envio.in_flight == 0 and not poller.running
    await poller.aclose()  # twice is fine


async def test_a_cancelled_owner_still_stops_it(rig: Rig) -> None:
    poller = real_time_poller(rig)

    async def owner() -> None:
        poller.start()
        try:
            await asyncio.Event().wait()
        finally:
            await poller.aclose()

    task = asyncio.create_task(owner())
    await eventually(lambda: poller.running)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not poller.running


async def test_interval_zero_starts_nothing(rig: Rig) -> None:
    poller = real_time_poller(rig, interval_s=0)
    poller.start()
    assert not poller.running
    await poller.aclose()


# --- wiring -------------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SHIPGRAPH_POLL_S", raising=False)
    yield


def test_poll_s_setting(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().poll_s == 300
    monkeypatch.setenv("SHIPGRAPH_POLL_S", "0.2")
    assert load_settings().poll_s == 0.2
    monkeypatch.setenv("SHIPGRAPH_POLL_S", "-1")
    with pytest.raises(ConfigError, match="SHIPGRAPH_POLL_S"):
        load_settings()


@pytest.fixture
async def app_services(no_env: None) -> AsyncIterator[Any]:
    app = create_app(load_settings(poll_s=60, database_url=MEMORY_URL))
    yield app, app.state.services


async def test_the_app_runs_the_poller_while_it_serves(app_services: Any) -> None:
    app, services = app_services
    async with app.router.lifespan_context(app):
        assert services.poller.running
        assert services.poller is services.poller
    assert not services.poller.running


# --- unreadable records -------------------------------------------------------------


async def test_an_unreadable_record_is_skipped_and_the_others_polled() -> None:
    """A record damaged by hand (as a courier latitude of 1e999 left one: null where a
    float belongs) costs its own poll only: the round goes on, nothing fails."""
    rig = Rig()
    await rig.create(shipment("s1"), shipment("s2", minute=1), shipment("s3", minute=2))
    damaged = b'{"id": "s2", "tenant": "acme", "courier": {"location": {"latitude": null}}}'
    async with rig.store.engine.begin() as conn:
        where = shipments.c.id == "s2"
        await conn.execute(sa.update(shipments).where(where).values(document=damaged))
    for code in ("c-s1", "c-s3"):
        rig.envio.status[code] = ShipmentStatus.IN_TRANSIT
    rig.clock.advance(INTERVAL_S + 600)
    stats = await rig.poller.run_once()
    assert stats.polled == {CarrierCode.ENVIO: 2} and stats.failed == {}
    assert stats.skipped == set()
    assert sorted(rig.envio.calls) == ["s1", "s3"]
    assert await rig.status("s1") == await rig.status("s3") == ShipmentStatus.IN_TRANSIT
    rig.clock.advance(INTERVAL_S + 600)
    assert (await rig.poller.run_once()).skipped == set()  # and every later round
