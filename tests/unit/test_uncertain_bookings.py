"""Marks of bookings whose create got no answer: per tenant, carrier and reference,
and "unsure" when the cache cannot say."""

from __future__ import annotations

from shipgraph.cache.base import CacheUnavailable
from shipgraph.cache.memory import MemoryCache
from shipgraph.domain import CarrierCode
from shipgraph.resolvers.uncertain import UncertainBookings


class DownCache(MemoryCache):
    async def get(self, key: str) -> bytes | None:
        raise CacheUnavailable("down")

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        raise CacheUnavailable("down")

    async def delete(self, key: str) -> None:
        raise CacheUnavailable("down")


async def test_a_mark_is_per_tenant_carrier_and_reference() -> None:
    marks = UncertainBookings(MemoryCache())
    await marks.mark("acme", CarrierCode.ENVIO, "SO-1")
    assert await marks.is_marked("acme", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("globex", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.BORZO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.ENVIO, "SO-2")
    await marks.clear("acme", CarrierCode.ENVIO, "SO-1")
    assert not await marks.is_marked("acme", CarrierCode.ENVIO, "SO-1")


async def test_a_cache_that_cannot_answer_means_unsure() -> None:
    marks = UncertainBookings(DownCache())
    await marks.mark("acme", CarrierCode.ENVIO, "SO-1")  # logged, not raised
    assert await marks.is_marked("acme", CarrierCode.ENVIO, "SO-9")
    await marks.clear("acme", CarrierCode.ENVIO, "SO-1")
