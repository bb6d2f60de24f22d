"""Webhooks that arrive before their shipment, a database that is down, and Redis
gone (which costs nothing but speed)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from shipgraph.app import build_services
from shipgraph.carriers.base import CarrierBase
from shipgraph.carriers.envio import INFO, webhooks
from shipgraph.carriers.registry import CarrierRegistry
from shipgraph.config import load_settings
from shipgraph.domain import (
    BookedShipment,
    CarrierCode,
    ShipmentRequest,
    ShipmentStatus,
    TrackingUpdate,
)
from shipgraph.events.ingest import Outcome
from shipgraph.resolvers.context import Services
from shipgraph.resolvers.shipments import ShipmentService
from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from tests.integration.conftest import create
from tests.integration.operations import GET
from tests.support.builders import doc_request
from tests.support.fixtures import fixture
from tests.support.redis_server import free_port
from tests.support.stack import Backend, running_stack


class BooksS1(CarrierBase):
    """Envio's description, booking every shipment as S1 (a known tracking number)."""

    info = INFO

    async def create(self, request: ShipmentRequest, rate_id: str | None = None) -> BookedShipment:
        return BookedShipment(
            carrier_shipment_id="envio-id-1",
            tracking_number="S1",
            status=ShipmentStatus.CREATED,
            carrier_status="new",
        )


@pytest.fixture
async def services(backend: Backend) -> AsyncIterator[Services]:
    built = build_services(load_settings(**backend.settings()))
    await built.registry.aclose()
    built.registry = CarrierRegistry({CarrierCode.ENVIO: BooksS1()})
    await built.store.open()
    try:
        yield built
    finally:
        await built.bus.aclose()
        await built.store.aclose()
        if built.redis is not None:
            await built.redis.aclose()


def event(name: str, received: datetime) -> TrackingUpdate:
    body = fixture("envio", name)
    body["shipment"]["code"] = "S1"
    [update] = webhooks.parse(json.dumps(body).encode(), received)
    return update


async def test_events_before_the_booking_are_applied_when_it_is_stored(
    services: Services,
) -> None:
    now = datetime(2023, 6, 9, 10, 0, tzinfo=UTC)  # before picked_up's own ata_at
    services.clock = lambda: now  # the document's booking is then still ahead
    updater = services.updater
    assert await updater.ingest(event("webhook_manifested", now)) == Outcome.ORPHAN
    assert await updater.ingest(event("webhook_picked_up", now)) == Outcome.ORPHAN
    outcome = await ShipmentService(services, "acme").create(
        doc_request(), CarrierCode.ENVIO, None, None
    )
    assert outcome.errors == ()
    assert outcome.shipment is not None
    assert outcome.shipment.status == ShipmentStatus.PICKED_UP
    assert [log.carrier_status for log in outcome.shipment.tracking_logs] == [
        "picked_up",
        "manifested",
    ]
    stored = await services.store.get("acme", outcome.shipment.id)
    assert stored == outcome.shipment
    assert await services.store.take_orphans(CarrierCode.ENVIO, "envio-id-1", "S1") == []


async def test_with_the_database_down_webhooks_answer_503_and_reads_a_code() -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/shipgraph"
    async with running_stack(database_url=dead) as stack:
        body = fixture("envio", "webhook_manifested")
        response = await stack.http.post(
            f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
        )
        assert response.status_code == 503
        read = await stack.gql(GET, {"id": "shp_x"})
        assert read["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert (await stack.http.get(f"{stack.gateway}/readyz")).status_code == 503


async def test_with_redis_down_nothing_is_lost_but_speed() -> None:
    """The cache, the bus and the breakers live in Redis: gone, they are bypassed, and
    bookings, reads, webhooks and /readyz go on from the database."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with running_stack(redis_url=dead) as stack:
        booked = await create(stack, "SO-REDIS-DOWN")
        read = await stack.gql(GET, {"id": booked["id"]})
        assert read["data"]["shipment"]["reference"] == "SO-REDIS-DOWN", read
        body = fixture("envio", "webhook_manifested")
        body["shipment"]["code"] = booked["trackingNumber"]
        response = await stack.http.post(
            f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
        )
        assert response.status_code in (200, 202), response.text
        ready = await stack.http.get(f"{stack.gateway}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "store": True, "redis": False}
