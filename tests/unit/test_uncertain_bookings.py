"""Marks of bookings whose create got no answer: per tenant, carrier and reference,
kept in the database, and "unsure" when the database cannot say."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shipgraph.domain import CarrierCode
from shipgraph.resolvers.uncertain import UncertainBookings
from shipgraph.store.sql import SqlShipmentStore
from shipgraph.store.sql.engine import MEMORY_URL
from tests.support.redis_server import free_port


@pytest.fixture
async def store() -> AsyncIterator[SqlShipmentStore]:
    made = SqlShipmentStore.from_url(MEMORY_URL)
    yield made
    await made.aclose()


async def test_a_mark_is_per_tenant_carrier_and_reference(store: SqlShipmentStore) -> None:
    marks = UncertainBookings(store)
    await marks.mark("acme", CarrierCode.ENVIO, "SO-1")
    assert await marks.is_marked("acme", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("globex", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.BORZO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.ENVIO, "SO-2")
    await marks.clear("acme", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.ENVIO, "SO-1")


async def test_a_database_that_cannot_answer_means_unsure() -> None:
    down = SqlShipmentStore.from_url(f"postgresql+asyncpg://x@127.0.0.1:{free_port()}/x")
    try:
        marks = UncertainBookings(down)
        await marks.mark("acme", CarrierCode.ENVIO, "SO-1")  # logged, not raised
        assert await marks.is_marked("acme", CarrierCode.ENVIO, "SO-9")
        await marks.clear("acme", CarrierCode.ENVIO, "SO-1")
    finally:
        await down.aclose()
