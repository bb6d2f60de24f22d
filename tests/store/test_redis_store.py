"""What only the Redis backend has to show: round trips, key layout, TTLs, outages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
import redis.asyncio as aredis

from shipgraph.domain import CarrierCode, Shipment, ShipmentStatus
from shipgraph.store import (
    IdempotencyState,
    RedisShipmentStore,
    ShipmentFilter,
    StoreContended,
    StoreUnavailable,
)
from shipgraph.store._common import UPDATE_TRIES
from tests.store.shipments import at, orphan, shipment
from tests.support.redis_server import free_port

pytestmark = pytest.mark.redis

WEEK_S = 7 * 24 * 3600


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisShipmentStore]:
    store = RedisShipmentStore.from_url(redis_url)
    yield store
    await store.aclose()


@pytest.fixture
async def control(redis_url: str) -> AsyncIterator[aredis.Redis]:
    """A second client, to look at the server behind the store's back."""
    client = aredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def commands_run(
    control: aredis.Redis, action: Callable[[], Awaitable[object]]
) -> dict[str, int]:
    """The commands the server ran during ``action`` (by name: calls)."""
    await control.config_resetstat()
    await action()
    stats: dict[str, dict[str, Any]] = await control.info("commandstats")
    ours = ("cmdstat_info", "cmdstat_config")
    return {
        name.removeprefix("cmdstat_"): int(stat["calls"])
        for name, stat in stats.items()
        if not name.startswith(ours)
    }


async def test_get_many_is_one_command(store: RedisShipmentStore, control: aredis.Redis) -> None:
    for i in range(100):
        await store.create(shipment(f"s{i}"))
    ids = [f"s{i}" for i in range(100)]
    found: list[Shipment | None] = []

    async def get_many() -> None:
        found.extend(await store.get_many("acme", ids))

    assert await commands_run(control, get_many) == {"mget": 1}
    assert [s.id if s else None for s in found] == ids


async def test_versions_are_one_command(store: RedisShipmentStore, control: aredis.Redis) -> None:
    for i in range(100):
        await store.create(shipment(f"s{i}"))
    found: list[int | None] = []

    async def versions() -> None:
        found.extend(await store.versions("acme", [f"s{i}" for i in range(100)]))

    assert await commands_run(control, versions) == {"mget": 1}
    assert found == [1] * 100


async def test_page_of_100_is_at_most_3_commands(
    store: RedisShipmentStore, control: aredis.Redis
) -> None:
    for i in range(150):
        await store.create(shipment(f"s{i:03d}", minute=i))
    first_page = await store.list("acme", 100)
    pages = []

    async def next_page() -> None:
        pages.append(await store.list("acme", 100, first_page.cursors[-1]))

    commands = await commands_run(control, next_page)
    assert sum(commands.values()) <= 3, commands
    assert [s.id for s in pages[0].shipments] == [f"s{i:03d}" for i in reversed(range(50))]
    assert len(first_page.shipments) == 100 and first_page.has_next_page
    assert not pages[0].has_next_page


async def test_key_layout(store: RedisShipmentStore, control: aredis.Redis) -> None:
    await store.create(
        shipment("s1", tenant="acme", carrier_shipment_id="C-1", tracking_number="T-1")
    )
    assert set(await control.keys("*")) == {
        "shipgraph:shipment:s1",
        "shipgraph:tenant:acme:shipments",
        "shipgraph:carrier:ENVIO:C-1",
        "shipgraph:tracking:ENVIO:T-1",
        "shipgraph:active:ENVIO",
    }
    assert await control.get("shipgraph:carrier:ENVIO:C-1") == "s1"
    assert await control.ttl("shipgraph:shipment:s1") == -1
    fresh_ms = int(at(0).timestamp() * 1000)
    assert await control.zrange("shipgraph:active:ENVIO", 0, -1, withscores=True) == [
        ("s1", fresh_ms)
    ]


async def test_terminal_shipments_leave_the_active_index(
    store: RedisShipmentStore, control: aredis.Redis
) -> None:
    await store.create(shipment("s1", status=ShipmentStatus.DELIVERED))
    assert not await control.exists("shipgraph:active:ENVIO")
    await store.create(shipment("s2"))
    await store.update("acme", "s2", lambda s: replace(s, status=ShipmentStatus.RETURNED))
    assert await control.zcard("shipgraph:active:ENVIO") == 0


async def test_a_claim_is_two_round_trips(store: RedisShipmentStore, control: aredis.Redis) -> None:
    for i in range(100):
        await store.create(shipment(f"s{i:03d}"))
    await store.claim_due(CarrierCode.ENVIO, now=at(0), interval_s=60, limit=1)  # loads the script
    claimed: list[Shipment] = []

    async def claim() -> None:
        claimed.extend(
            await store.claim_due(CarrierCode.ENVIO, now=at(60), interval_s=60, limit=50)
        )

    # two round trips: the script (a range and its re-scores, run inside it), then MGET
    assert await commands_run(control, claim) == {
        "evalsha": 1,
        "zrangebyscore": 1,
        "zadd": 50,
        "mget": 1,
    }
    assert [s.id for s in claimed] == [f"s{i:03d}" for i in range(50)]


async def test_processes_on_one_redis_share_the_lease(redis_url: str) -> None:
    stores = [RedisShipmentStore.from_url(redis_url) for _ in range(4)]
    try:
        for i in range(40):
            await stores[0].create(shipment(f"s{i:02d}"))
        claims = await asyncio.gather(
            *(
                store.claim_due(CarrierCode.ENVIO, now=at(10), interval_s=300, limit=3)
                for store in stores
                for _ in range(5)
            )
        )
        claimed = sorted(s.id for batch in claims for s in batch)
        assert claimed == [f"s{i:02d}" for i in range(40)]
    finally:
        for store in stores:
            await store.aclose()


async def test_prefix_separates_stores(redis_url: str, store: RedisShipmentStore) -> None:
    other = RedisShipmentStore.from_url(redis_url, prefix="other")
    try:
        await store.create(shipment("s1"))
        assert await other.get("acme", "s1") is None
        await other.create(shipment("s1"))
    finally:
        await other.aclose()


async def stored_json(control: aredis.Redis, key: str) -> Any:
    raw = await control.get(key)
    assert raw is not None
    return json.loads(raw)


async def test_idempotency_record_and_ttls(
    store: RedisShipmentStore, control: aredis.Redis
) -> None:
    key = "shipgraph:idem:acme:k"
    await store.reserve_idempotency("acme", "k", "h1")
    assert await stored_json(control, key) == {
        "state": "in_progress",
        "hash": "h1",
        "shipment_id": None,
    }
    assert 0 < await control.pttl(key) <= 120_000
    await store.complete_idempotency("acme", "k", "s1", ttl_s=3600)
    assert await stored_json(control, key) == {
        "state": "completed",
        "hash": "h1",
        "shipment_id": "s1",
    }
    assert 3590 < await control.ttl(key) <= 3600


async def test_short_idempotency_ttl_caps_the_reservation(
    store: RedisShipmentStore, control: aredis.Redis
) -> None:
    await store.reserve_idempotency("acme", "k", "h1", ttl_s=30)
    assert 0 < await control.pttl("shipgraph:idem:acme:k") <= 30_000


async def test_orphan_keys_expire_in_a_week(
    store: RedisShipmentStore, control: aredis.Redis
) -> None:
    await store.add_orphan(orphan("e1", carrier_shipment_id="C-1", tracking_number="T-1"))
    for key in ("shipgraph:orphans:ENVIO:id:C-1", "shipgraph:orphans:ENVIO:tn:T-1"):
        assert WEEK_S - 10 < await control.ttl(key) <= WEEK_S


async def test_works_with_decoded_responses(redis_url: str) -> None:
    store = RedisShipmentStore.from_url(redis_url, decode_responses=True)
    try:
        created = await store.create(shipment("s1", tracking_number="T-1"))
        assert await store.get_many("acme", ["s1"]) == [created]
        assert await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1") == created
        page = await store.list("acme", 5, filter=ShipmentFilter(reference="order-1"))
        assert list(page.shipments) == [created]
        await store.update("acme", "s1", lambda s: replace(s, tracking_number="T-2"))
        await store.reserve_idempotency("acme", "k", "h")
        await store.complete_idempotency("acme", "k", "s1")
        result = await store.reserve_idempotency("acme", "k", "h")
        assert result.state == IdempotencyState.COMPLETED and result.shipment_id == "s1"
        await store.add_orphan(orphan("e1", carrier_shipment_id="C-1"))
        taken = await store.take_orphans(CarrierCode.ENVIO, "C-1", None)
        assert [u.event_id for u in taken] == ["e1"]
    finally:
        await store.aclose()


@pytest.fixture
def meddler(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


async def test_update_gives_up_when_always_contended(
    store: RedisShipmentStore, meddler: redis.Redis
) -> None:
    created = await store.create(shipment("s1"))
    tries = 0

    def contended(current: Shipment) -> Shipment:
        nonlocal tries
        tries += 1
        meddler.set("shipgraph:shipment:s1", meddler.get("shipgraph:shipment:s1") or b"")
        return replace(current, reference=f"try-{tries}")

    with pytest.raises(StoreContended) as gave_up:
        await store.update("acme", "s1", contended)
    assert tries == UPDATE_TRIES
    assert "contended" in str(gave_up.value) and gave_up.value.retry_after_s >= 1
    assert await store.get("acme", "s1") == created


@pytest.fixture
async def unreachable() -> AsyncIterator[RedisShipmentStore]:
    store = RedisShipmentStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    yield store
    await store.aclose()


async def test_ping_false_when_unreachable(unreachable: RedisShipmentStore) -> None:
    assert await unreachable.ping() is False


async def test_ping_true_when_up(store: RedisShipmentStore) -> None:
    assert await store.ping() is True


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.create(shipment("s1")),
        lambda s: s.get("acme", "s1"),
        lambda s: s.get_many("acme", ["s1"]),
        lambda s: s.find_by_carrier_id(CarrierCode.ENVIO, "C-1"),
        lambda s: s.update("acme", "s1", lambda x: x),
        lambda s: s.list("acme", 10),
        lambda s: s.reserve_idempotency("acme", "k", "h"),
        lambda s: s.complete_idempotency("acme", "k", "s1"),
        lambda s: s.add_orphan(orphan("e1", carrier_shipment_id="C-1")),
        lambda s: s.take_orphans(CarrierCode.ENVIO, "C-1", None),
        lambda s: s.claim_due(CarrierCode.ENVIO, now=at(0), interval_s=60, limit=10),
    ],
)
async def test_unreachable_server_is_store_unavailable(
    unreachable: RedisShipmentStore, call: Callable[[RedisShipmentStore], Awaitable[object]]
) -> None:
    with pytest.raises(StoreUnavailable):
        await call(unreachable)
