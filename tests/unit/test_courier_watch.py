"""Courier positions: one shared poll loop per shipment, latest only, stops by itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from shipgraph.domain import Courier, GeoPoint, Shipment, ShipmentStatus
from shipgraph.events.courier import CourierWatch
from tests.support.builders import shipment as build_shipment

INTERVAL = 0.02


class Transient(Exception):
    pass


class FakeCarrier:
    """Moves the courier one step per call; a shipment whose status the test sets."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = ShipmentStatus.OUT_FOR_DELIVERY
        self.failures: list[Exception] = []

    async def fetch(self, shipment: Shipment) -> Courier | None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return Courier(name="Asep", location=GeoPoint(-6.2, 106.8 + self.calls / 1000))

    async def reload(self, shipment: Shipment) -> Shipment | None:
        return replace(shipment, status=self.status)


def watcher() -> CourierWatch:
    return CourierWatch(INTERVAL, is_transient=lambda e: isinstance(e, Transient), max_failures=3)


async def test_subscribers_of_one_shipment_share_one_poll_loop() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    async with (
        watch.watch(shipment, carrier.fetch, carrier.reload) as first,
        watch.watch(shipment, carrier.fetch, carrier.reload) as second,
    ):
        assert watch.watching(shipment.id) == 2
        a, b = await anext(first), await anext(second)
        assert a.name == b.name == "Asep"
        await asyncio.sleep(INTERVAL * 10)
        assert carrier.calls <= 12  # one loop: about one call per interval, not two


async def test_a_slow_reader_gets_the_latest_position_only() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        await asyncio.sleep(INTERVAL * 8)
        latest = await anext(positions)
        assert latest.location is not None
        assert latest.location.longitude == pytest.approx(106.8 + carrier.calls / 1000, abs=2e-3)


async def test_the_stream_ends_when_the_shipment_is_finished() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        await anext(positions)
        carrier.status = ShipmentStatus.DELIVERED
        remaining = [courier async for courier in positions]
        assert len(remaining) <= 1


async def test_polling_stops_when_the_last_subscriber_leaves() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        await anext(positions)
    calls = carrier.calls
    await asyncio.sleep(INTERVAL * 5)
    assert carrier.calls == calls
    assert watch.watching(shipment.id) == 0
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("courier-poll-")]


async def test_transient_failures_are_skipped() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    carrier.failures = [Transient(), Transient()]
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        assert (await anext(positions)).name == "Asep"


async def test_a_lasting_failure_ends_the_stream_with_it() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    carrier.failures = [Transient()] * 3
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        with pytest.raises(Transient):
            await anext(positions)


async def test_a_permanent_failure_ends_the_stream_at_once() -> None:
    carrier, watch, shipment = FakeCarrier(), watcher(), build_shipment()
    carrier.failures = [ValueError("no such order")]
    async with watch.watch(shipment, carrier.fetch, carrier.reload) as positions:
        with pytest.raises(ValueError):
            await anext(positions)
    assert carrier.calls == 1
