"""The response cache checks the versions of the hits of one event-loop turn with one
store read per tenant, and still tells each hit apart: a changed shipment, another
tenant's, or a store that is down."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest

from shipgraph.http.response_cache import CachedAnswer, Key, ResponseCache, _qualifies
from shipgraph.store.base import ShipmentStore, StoreUnavailable


class VersionsOnly:
    """The one store method the cache reads, counting its calls."""

    def __init__(self, versions: dict[tuple[str, str], int]) -> None:
        self.versions_of = versions
        self.calls: list[tuple[str, list[str]]] = []
        self.down = False

    async def versions(self, tenant: str, shipment_ids: Sequence[str]) -> list[int | None]:
        self.calls.append((tenant, list(shipment_ids)))
        await asyncio.sleep(0)
        if self.down:
            raise StoreUnavailable("the database is down")
        return [self.versions_of.get((tenant, i)) for i in shipment_ids]


def key(tenant: str, shipment_id: str) -> Key:
    return (tenant, "query Q { shipment(id: $id) { id } }", f'{{"id": "{shipment_id}"}}', None, "x")


def kept(cache: ResponseCache, tenant: str, shipment_id: str, version: int | None) -> Key:
    made = key(tenant, shipment_id)
    cache.put(
        made, CachedAnswer(shipment_id.encode(), "application/json", ((shipment_id, version),))
    )
    return made


def cache_on(store: VersionsOnly) -> ResponseCache:
    return ResponseCache(cast(ShipmentStore, store))


async def test_hits_at_once_share_one_read_per_tenant() -> None:
    store = VersionsOnly({("acme", f"s{n}"): 1 for n in range(20)} | {("other", "t"): 3})
    cache = cache_on(store)
    keys = [kept(cache, "acme", f"s{n}", 1) for n in range(20)] + [kept(cache, "other", "t", 3)]
    answers = await asyncio.gather(*(cache.get(one) for one in keys))
    assert all(answer is not None for answer in answers)
    assert [answer.body for answer in answers if answer] == [k[2][8:-2].encode() for k in keys]
    assert sorted((tenant, len(ids)) for tenant, ids in store.calls) == [("acme", 20), ("other", 1)]


async def test_a_changed_or_unknown_shipment_among_them_is_a_miss() -> None:
    store = VersionsOnly({("acme", "a"): 1, ("acme", "b"): 2})
    cache = cache_on(store)
    same, changed, gone = (kept(cache, "acme", "a", 1), kept(cache, "acme", "b", 1),
                           kept(cache, "acme", "c", 4))  # fmt: skip
    first, second, third = await asyncio.gather(*(cache.get(k) for k in (same, changed, gone)))
    assert first is not None and second is None and third is None
    assert len(store.calls) == 1
    assert await cache.get(changed) is None  # dropped, not read again


async def test_another_tenants_version_is_never_taken() -> None:
    store = VersionsOnly({("other", "a"): 1})
    cache = cache_on(store)
    mine = kept(cache, "acme", "a", 1)
    assert await cache.get(mine) is None


async def test_a_store_down_fails_every_hit_of_the_turn() -> None:
    store = VersionsOnly({("acme", "a"): 1, ("acme", "b"): 1})
    store.down = True
    cache = cache_on(store)
    keys = [kept(cache, "acme", "a", 1), kept(cache, "acme", "b", 1)]
    results: list[Any] = await asyncio.gather(*(cache.get(k) for k in keys), return_exceptions=True)
    assert all(isinstance(result, StoreUnavailable) for result in results)
    store.down = False
    assert await cache.get(keys[0]) is not None


@pytest.mark.parametrize("turns", [2, 3])
def test_each_event_loop_gets_its_own_loader(turns: int) -> None:
    store = VersionsOnly({("acme", "a"): 1})
    cache = cache_on(store)
    made = kept(cache, "acme", "a", 1)
    for _ in range(turns):
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(cache.get(made)) is not None
        finally:
            loop.close()


async def test_hits_of_one_changed_answer_at_once_each_miss_without_error() -> None:
    store = VersionsOnly({("acme", "a"): 2})
    cache = cache_on(store)
    made = kept(cache, "acme", "a", 1)
    assert await asyncio.gather(*(cache.get(made) for _ in range(20))) == [None] * 20


async def test_a_fresher_answer_kept_meanwhile_is_not_dropped() -> None:
    store = VersionsOnly({("acme", "a"): 2})
    cache = cache_on(store)
    made = kept(cache, "acme", "a", 1)
    pending = asyncio.ensure_future(cache.get(made))
    await asyncio.sleep(0)
    kept(cache, "acme", "a", 2)  # a request that ran the operation kept version 2
    assert await pending is None
    assert await cache.get(made) is not None


def test_a_deeply_nested_listing_is_judged_to_its_depths() -> None:
    deep = "query Q { shipments(first: 1) { " + "a { " * 150 + "b" + " }" * 150 + " } }"
    assert _qualifies(deep, None) is True
    counted = deep.replace("b }", "totalCount }", 1)
    assert _qualifies(counted, None) is False
