"""A carrier update lands on the shipment its carrier id names, or on none."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shipgraph import domain
from shipgraph.domain import CarrierCode, Courier, ShipmentStatus, TrackingUpdate
from shipgraph.events.ingest import Outcome, ShipmentUpdater
from shipgraph.events.memory import MemoryEventBus
from shipgraph.store.sql import SqlShipmentStore
from shipgraph.store.sql.engine import MEMORY_URL
from tests.store.shipments import at, orphan, shipment

BORZO = CarrierCode.BORZO


@pytest.fixture
async def store() -> AsyncIterator[SqlShipmentStore]:
    made = SqlShipmentStore.from_url(MEMORY_URL)
    yield made
    await made.aclose()


def updater(store: SqlShipmentStore) -> ShipmentUpdater:
    return ShipmentUpdater(store, MemoryEventBus(), lambda: at(5))


async def test_a_shared_tracking_number_never_carries_another_orders_update(
    store: SqlShipmentStore,
) -> None:
    # Borzo's order_name is a short id that repeats: 1250032 and 1350032 are both 50032.
    theirs = shipment(
        "a", tenant="acme", carrier=BORZO, carrier_shipment_id="1250032", tracking_number="50032"
    )
    await store.create(theirs)
    update = orphan("e1", carrier=BORZO, carrier_shipment_id="1350032", tracking_number="50032")
    assert await updater(store).ingest(update) == Outcome.ORPHAN
    kept = await store.get("acme", "a")
    assert kept is not None and kept.status == ShipmentStatus.CREATED and kept.version == 1


async def test_an_update_naming_only_a_tracking_number_finds_it(store: SqlShipmentStore) -> None:
    await store.create(shipment("a", tracking_number="S1"))
    assert await updater(store).ingest(orphan("e1", tracking_number="S1")) == Outcome.APPLIED
    found = await store.get("acme", "a")
    assert found is not None and found.status == ShipmentStatus.IN_TRANSIT


async def test_an_orphan_for_another_carrier_id_is_not_adopted_and_is_kept(
    store: SqlShipmentStore,
) -> None:
    ours = updater(store)
    early = orphan("e1", carrier=BORZO, carrier_shipment_id="1350032", tracking_number="50032")
    assert await ours.ingest(early) == Outcome.ORPHAN
    first = await store.create(
        shipment(
            "a",
            tenant="acme",
            carrier=BORZO,
            carrier_shipment_id="1250032",
            tracking_number="50032",
        )
    )
    adopted = await ours.adopt_orphans(first)
    assert adopted.status == ShipmentStatus.CREATED and adopted.version == 1
    # Still waiting for the order it names, which then takes it.
    second = await store.create(
        shipment(
            "b",
            tenant="globex",
            carrier=BORZO,
            carrier_shipment_id="1350032",
            tracking_number="50032",
        )
    )
    assert (await ours.adopt_orphans(second)).status == ShipmentStatus.IN_TRANSIT


async def test_a_replay_long_after_is_still_applied_once(
    store: SqlShipmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document remembers the last MAX_REMEMBERED_EVENTS event ids; the store's
    record of applied events has them all, so an old replay changes nothing."""
    monkeypatch.setattr(domain, "MAX_REMEMBERED_EVENTS", 2)
    await store.create(shipment("a", tracking_number="S1"))
    ours = updater(store)

    def courier_event(event_id: str, name: str) -> TrackingUpdate:
        return TrackingUpdate(
            carrier=CarrierCode.ENVIO, event_id=event_id, tracking_number="S1",
            courier=Courier(name=name),
        )  # fmt: skip

    for number, name in enumerate(["Budi", "Sari", "Joko", "Wati"]):
        assert await ours.ingest(courier_event(f"e{number}", name)) == Outcome.APPLIED
    assert await ours.ingest(courier_event("e0", "Budi")) == Outcome.DUPLICATE
    kept = await store.get("acme", "a")
    assert kept is not None and kept.courier == Courier(name="Wati") and kept.version == 5


async def test_an_update_racing_the_bookings_adoption_is_not_left_an_orphan(
    store: SqlShipmentStore,
) -> None:
    """The webhook's lookup misses, the booking is stored and adopts its orphans (none
    yet), then the webhook's orphan is added: it is applied, not left waiting."""
    ours = updater(store)
    booked = shipment("a", carrier=BORZO, carrier_shipment_id="1250032", tracking_number="50032")
    looked_up = ours._locate

    async def late(update: TrackingUpdate) -> domain.Shipment | None:
        if await store.get("acme", "a") is None:
            await ours.adopt_orphans(await store.create(booked))  # the booking, meanwhile
            return None
        return await looked_up(update)

    ours._locate = late  # type: ignore[method-assign]
    update = orphan("e1", carrier=BORZO, carrier_shipment_id="1250032")
    assert await ours.ingest(update) == Outcome.APPLIED
    found = await store.get("acme", "a")
    assert found is not None and found.status == ShipmentStatus.IN_TRANSIT
    assert await store.take_orphans(BORZO, "1250032", "50032") == []
