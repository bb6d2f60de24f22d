"""Event bus tests; the helpers below build events and read subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

from shipgraph.domain import (
    Address,
    CarrierCode,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TrackingLog,
)

BASE = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
TASK_PREFIX = "shipgraph-events"


def make_shipment(shipment_id: str, tenant: str = "acme") -> Shipment:
    return Shipment(
        id=shipment_id,
        tenant=tenant,
        reference=f"order-{shipment_id}",
        carrier=CarrierCode.ENVIO,
        carrier_shipment_id=f"c-{shipment_id}",
        status=ShipmentStatus.IN_TRANSIT,
        origin=Address(line1="Jl. Sudirman 1", country_code="ID", city="Jakarta"),
        destination=Address(line1="Ayala Ave 6750", country_code="PH", city="Makati"),
        created_at=BASE,
        updated_at=BASE,
    )


def make_event(number: int, tenant: str = "acme") -> ShipmentEvent:
    """The ``number``-th event of a tenant; its shipment id is ``<tenant>-<number>``."""
    occurred = BASE + timedelta(minutes=number)
    log = TrackingLog(
        status=ShipmentStatus.IN_TRANSIT, carrier_status="transit", occurred_at=occurred
    )
    return ShipmentEvent(
        shipment=make_shipment(f"{tenant}-{number}", tenant),
        occurred_at=occurred,
        previous_status=ShipmentStatus.PICKED_UP,
        log=log,
    )


async def take(events: AsyncIterator[ShipmentEvent], count: int, within: float = 3.0) -> list[str]:
    """The shipment ids of the next ``count`` events (TimeoutError if they do not come)."""
    received: list[str] = []
    async with asyncio.timeout(within):
        while len(received) < count:
            received.append((await anext(events)).shipment.id)
    return received


def bus_tasks() -> list[asyncio.Task[object]]:
    """The running asyncio tasks an event bus created (they carry its name prefix)."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(TASK_PREFIX) and not task.done()
    ]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 3.0) -> None:
    """Poll ``check`` (state on the Redis side, which nothing signals) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {within} s")
        await asyncio.sleep(0.01)
