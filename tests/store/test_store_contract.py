"""What every ShipmentStore promises, run on the SQL store over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from shipgraph.domain import CarrierCode, Shipment, ShipmentStatus
from shipgraph.store import (
    DuplicateShipment,
    IdempotencyResult,
    IdempotencyState,
    InvalidCursor,
    ShipmentFilter,
    ShipmentNotFound,
    ShipmentStore,
    StoreError,
)
from shipgraph.store.sql import SqlShipmentStore
from tests.store.shipments import at, orphan, shipment

StoreFactory = Callable[..., ShipmentStore]


@pytest.fixture
async def make_store(migrated_database_url: str) -> AsyncIterator[StoreFactory]:
    made: list[ShipmentStore] = []

    def make(**options: Any) -> ShipmentStore:
        store = SqlShipmentStore.from_url(migrated_database_url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.aclose()


@pytest.fixture
def store(make_store: StoreFactory) -> ShipmentStore:
    return make_store()


async def create_all(store: ShipmentStore, *shipments: Shipment) -> None:
    for one in shipments:
        await store.create(one)


# --- create, get ------------------------------------------------------------------


async def test_create_stores_version_1(store: ShipmentStore) -> None:
    created = await store.create(replace(shipment("s1"), version=7))
    assert created == replace(shipment("s1"), version=1)
    assert await store.get("acme", "s1") == created


async def test_get_is_tenant_scoped(store: ShipmentStore) -> None:
    await store.create(shipment("s1", tenant="acme"))
    assert await store.get("globex", "s1") is None
    assert await store.get("acme", "missing") is None


async def test_get_many_keeps_order_and_scope(store: ShipmentStore) -> None:
    await create_all(store, shipment("s1"), shipment("s2"), shipment("x1", tenant="globex"))
    found = await store.get_many("acme", ["s2", "missing", "x1", "s1"])
    assert [s.id if s else None for s in found] == ["s2", None, None, "s1"]
    assert await store.get_many("acme", []) == []


async def test_duplicate_id_is_refused_even_for_another_tenant(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))
    with pytest.raises(DuplicateShipment):
        await store.create(shipment("s1", tenant="globex", carrier_shipment_id="other"))
    assert await store.get("globex", "s1") is None


async def test_duplicate_carrier_id_is_refused_and_nothing_written(store: ShipmentStore) -> None:
    await store.create(shipment("s1", carrier_shipment_id="C-1"))
    with pytest.raises(DuplicateShipment):
        await store.create(shipment("s2", carrier_shipment_id="C-1", tracking_number="T-2"))
    assert await store.get("acme", "s2") is None
    assert await store.find_by_tracking_number(CarrierCode.ENVIO, "T-2") is None
    assert [s.id for s in (await store.list("acme", 10)).shipments] == ["s1"]
    # the same carrier id at another carrier is another shipment
    await store.create(shipment("s3", carrier=CarrierCode.BORZO, carrier_shipment_id="C-1"))


async def test_find_by_carrier_id_and_tracking_number_cross_tenant(
    store: ShipmentStore,
) -> None:
    await store.create(shipment("s1", tenant="globex", carrier_shipment_id="C-1"))
    await store.create(shipment("s2", carrier_shipment_id="C-2", tracking_number="T-2"))
    by_id = await store.find_by_carrier_id(CarrierCode.ENVIO, "C-1")
    assert by_id is not None and by_id.id == "s1"
    by_number = await store.find_by_tracking_number(CarrierCode.ENVIO, "T-2")
    assert by_number is not None and by_number.id == "s2"
    assert await store.find_by_carrier_id(CarrierCode.BORZO, "C-1") is None
    assert await store.find_by_tracking_number(CarrierCode.ENVIO, "C-2") is None


async def test_changed_tracking_number_is_reindexed(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))
    await store.update("acme", "s1", lambda s: replace(s, tracking_number="T-1"))
    found = await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1")
    assert found is not None and found.tracking_number == "T-1"
    await store.update("acme", "s1", lambda s: replace(s, tracking_number="T-9"))
    assert await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1") is None
    found = await store.find_by_tracking_number(CarrierCode.ENVIO, "T-9")
    assert found is not None and found.id == "s1" and found.version == 3


# --- update -----------------------------------------------------------------------


async def test_versions_follow_updates_keep_order_and_scope(store: ShipmentStore) -> None:
    await create_all(store, shipment("s1"), shipment("s2"), shipment("x1", tenant="globex"))
    await store.update("acme", "s2", lambda s: replace(s, status=ShipmentStatus.IN_TRANSIT))
    assert await store.versions("acme", ["s2", "missing", "x1", "s1"]) == [2, None, None, 1]
    assert await store.versions("globex", ["x1", "s1"]) == [1, None]
    assert await store.versions("acme", []) == []


async def test_update_bumps_version(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))
    updated = await store.update(
        "acme", "s1", lambda s: replace(s, status=ShipmentStatus.IN_TRANSIT)
    )
    assert updated.version == 2 and updated.status == ShipmentStatus.IN_TRANSIT
    assert await store.get("acme", "s1") == updated


@pytest.mark.parametrize("unchanged", [lambda s: s, lambda s: None, lambda s: replace(s)])
async def test_unchanged_update_keeps_version(
    store: ShipmentStore, unchanged: Callable[[Shipment], Shipment | None]
) -> None:
    created = await store.create(shipment("s1"))
    assert await store.update("acme", "s1", unchanged) == created
    assert await store.get("acme", "s1") == created


async def test_failing_mutator_writes_nothing(store: ShipmentStore) -> None:
    created = await store.create(shipment("s1"))

    def boom(current: Shipment) -> Shipment:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await store.update("acme", "s1", boom)
    assert await store.get("acme", "s1") == created


async def test_update_of_unknown_or_foreign_shipment(store: ShipmentStore) -> None:
    await store.create(shipment("s1", tenant="globex"))
    for tenant, shipment_id in [("acme", "s1"), ("acme", "missing")]:
        with pytest.raises(ShipmentNotFound):
            await store.update(tenant, shipment_id, lambda s: replace(s, reference="x"))


async def test_update_may_not_move_a_shipment(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))
    with pytest.raises(StoreError):
        await store.update("acme", "s1", lambda s: replace(s, tenant="globex"))


async def test_concurrent_updates_all_apply(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))

    def append(event_id: str) -> Callable[[Shipment], Shipment]:
        return lambda s: replace(s, applied_event_ids=(*s.applied_event_ids, event_id))

    events = [f"e{i}" for i in range(20)]
    await asyncio.gather(*(store.update("acme", "s1", append(e)) for e in events))
    final = await store.get("acme", "s1")
    assert final is not None
    assert sorted(final.applied_event_ids) == sorted(events)
    assert final.version == 21


# --- carrier updates: recorded with the write that applies them ---------------------


def renamed_to(reference: str) -> Callable[[Shipment], Shipment]:
    return lambda current: replace(current, reference=reference)


async def test_an_event_is_applied_once_however_often_it_comes(store: ShipmentStore) -> None:
    await store.create(shipment("s1"))
    event = orphan("e1", carrier_shipment_id="c-s1")
    first = await store.update("acme", "s1", renamed_to("r-1"), event=event)
    assert first.version == 2

    def never(current: Shipment) -> Shipment:
        raise AssertionError("an event already recorded is not applied again")

    again = await store.update("acme", "s1", never, event=event)
    assert again == first
    other = await store.update("acme", "s1", renamed_to("r-2"), event=orphan("e2"))
    assert other.version == 3


async def test_an_event_that_changes_nothing_is_not_recorded(store: ShipmentStore) -> None:
    await store.create(shipment("s1", reference="r-1"))
    event = orphan("e1")
    unchanged = await store.update("acme", "s1", renamed_to("r-1"), event=event)
    assert unchanged.version == 1
    changed = await store.update("acme", "s1", renamed_to("r-2"), event=event)
    assert changed.version == 2  # it was not recorded, so it applies when it changes


async def test_one_event_from_two_processes_is_applied_once(make_store: StoreFactory) -> None:
    first, second = make_store(), make_store()
    await first.create(shipment("s1"))
    event = orphan("e1")
    calls = []

    def count(current: Shipment) -> Shipment:
        calls.append(current.version)
        return replace(current, reference=f"{current.reference}+1")

    results = await asyncio.gather(
        *((first, second)[n % 2].update("acme", "s1", count, event=event) for n in range(6))
    )
    stored = await first.get("acme", "s1")
    assert stored is not None and stored.version == 2 and stored.reference == "order-1+1"
    assert {r.version for r in results} == {2}


# --- list -------------------------------------------------------------------------


async def all_pages(
    store: ShipmentStore, first: int, filter: ShipmentFilter | None = None, tenant: str = "acme"
) -> list[list[str]]:
    pages, after = [], None
    while True:
        page = await store.list(tenant, first, after, filter)
        assert len(page.cursors) == len(page.shipments)
        pages.append([s.id for s in page.shipments])
        if not page.has_next_page:
            return pages
        after = page.cursors[-1]


async def test_list_newest_first_across_three_pages(store: ShipmentStore) -> None:
    await create_all(store, *(shipment(f"s{i}", minute=i) for i in range(7)))
    assert await all_pages(store, 3) == [["s6", "s5", "s4"], ["s3", "s2", "s1"], ["s0"]]
    exact = await store.list("acme", 6)
    assert exact.has_next_page
    assert not (await store.list("acme", 7)).has_next_page


async def test_list_breaks_created_at_ties_by_id_descending(store: ShipmentStore) -> None:
    ids = ["a", "b", "c", "d", "e"]
    await create_all(store, *(shipment(i, minute=5) for i in ids), shipment("z", minute=0))
    assert await all_pages(store, 2) == [["e", "d"], ["c", "b"], ["a", "z"]]


async def test_list_first_zero_and_empty(store: ShipmentStore) -> None:
    empty = await store.list("acme", 5)
    assert list(empty.shipments) == [] and not empty.has_next_page
    await store.create(shipment("s1"))
    none = await store.list("acme", 0)
    assert list(none.shipments) == [] and none.has_next_page
    with pytest.raises(ValueError):
        await store.list("acme", -1)


async def test_list_is_tenant_scoped(store: ShipmentStore) -> None:
    await create_all(store, *(shipment(f"a{i}", minute=i) for i in range(3)))
    await create_all(store, *(shipment(f"g{i}", tenant="globex", minute=i) for i in range(3)))
    assert await all_pages(store, 10, tenant="globex") == [["g2", "g1", "g0"]]
    # a cursor of acme's listing only positions within globex's
    acme_cursor = (await store.list("acme", 2)).cursors[-1]  # at a1
    page = await store.list("globex", 10, acme_cursor)
    assert [s.id for s in page.shipments] == ["g0"]


@pytest.mark.parametrize(
    "cursor",
    ["", "not a cursor!", "bm9wZQ", base64.urlsafe_b64encode(b'{"a": 1}').decode(), "WzEsMl0"],
)
async def test_bad_cursor(store: ShipmentStore, cursor: str) -> None:
    await store.create(shipment("s1"))
    with pytest.raises(InvalidCursor):
        await store.list("acme", 5, cursor)


async def fleet(store: ShipmentStore) -> None:
    """30 shipments, s00 oldest: carriers, statuses and references vary by index."""
    carriers = [CarrierCode.ENVIO, CarrierCode.BORZO, CarrierCode.ENTREGO]
    statuses = [ShipmentStatus.CREATED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED]
    for i in range(30):
        await store.create(
            shipment(
                f"s{i:02d}",
                minute=i,
                carrier=carriers[i % 3],
                status=statuses[i % 5 % 3],
                reference=f"order-{i % 4}",
                tracking_number=f"T-{i}",
            )
        )


def expected(predicate: Callable[[int], bool], first: int) -> list[list[str]]:
    ids = [f"s{i:02d}" for i in reversed(range(30)) if predicate(i)]
    return [ids[n : n + first] for n in range(0, len(ids), first)] or [[]]


@pytest.mark.parametrize(
    ("filter", "predicate"),
    [
        (ShipmentFilter(carrier=CarrierCode.BORZO), lambda i: i % 3 == 1),
        (
            ShipmentFilter(statuses=frozenset({ShipmentStatus.DELIVERED})),
            lambda i: i % 5 % 3 == 2,
        ),
        (ShipmentFilter(reference="order-3"), lambda i: i % 4 == 3),
        (ShipmentFilter(tracking_number="T-17"), lambda i: i == 17),
        (ShipmentFilter(created_after=at(20)), lambda i: i > 20),
        (ShipmentFilter(created_before=at(7)), lambda i: i < 7),
        (
            ShipmentFilter(carrier=CarrierCode.ENVIO, created_after=at(2), created_before=at(27)),
            lambda i: i % 3 == 0 and 2 < i < 27,
        ),
        (ShipmentFilter(reference="nobody"), lambda i: False),
    ],
)
async def test_list_filters_across_pages(
    store: ShipmentStore, filter: ShipmentFilter, predicate: Callable[[int], bool]
) -> None:
    await fleet(store)
    assert await all_pages(store, 3, filter) == expected(predicate, 3)


async def test_sparse_filter_walks_many_batches(store: ShipmentStore) -> None:
    for i in range(250):
        ref = "rare" if i % 60 == 0 else "common"
        await store.create(shipment(f"s{i:03d}", minute=i, reference=ref))
    pages = await all_pages(store, 2, ShipmentFilter(reference="rare"))
    assert pages == [["s240", "s180"], ["s120", "s060"], ["s000"]]


# --- idempotency ------------------------------------------------------------------

RESERVED = IdempotencyResult(IdempotencyState.RESERVED)
IN_PROGRESS = IdempotencyResult(IdempotencyState.IN_PROGRESS)
MISMATCH = IdempotencyResult(IdempotencyState.MISMATCH)


async def test_idempotency_lifecycle(store: ShipmentStore) -> None:
    assert await store.reserve_idempotency("acme", "k", "h1") == RESERVED
    assert await store.reserve_idempotency("acme", "k", "h1") == IN_PROGRESS
    assert await store.reserve_idempotency("acme", "k", "h2") == MISMATCH
    assert await store.reserve_idempotency("globex", "k", "h2") == RESERVED
    await store.complete_idempotency("acme", "k", "s1")
    completed = IdempotencyResult(IdempotencyState.COMPLETED, "s1")
    assert await store.reserve_idempotency("acme", "k", "h1") == completed
    assert await store.reserve_idempotency("acme", "k", "h2") == MISMATCH


async def test_released_key_can_be_reserved_again(store: ShipmentStore) -> None:
    assert await store.reserve_idempotency("acme", "k", "h1") == RESERVED
    await store.release_idempotency("acme", "k")
    assert await store.reserve_idempotency("acme", "k", "h2") == RESERVED


async def test_tenant_and_key_do_not_collide(store: ShipmentStore) -> None:
    assert await store.reserve_idempotency("a:b", "c", "h1") == RESERVED
    assert await store.reserve_idempotency("a", "b:c", "h2") == RESERVED


async def test_one_of_many_concurrent_reservations_wins(store: ShipmentStore) -> None:
    results = await asyncio.gather(
        *(store.reserve_idempotency("acme", "k", "h") for _ in range(50))
    )
    assert results.count(RESERVED) == 1
    assert results.count(IN_PROGRESS) == 49


async def test_abandoned_reservation_expires_completed_one_stays(
    make_store: StoreFactory,
) -> None:
    store = make_store(in_progress_ttl_s=0.1)
    assert await store.reserve_idempotency("acme", "crashed", "h") == RESERVED
    assert await store.reserve_idempotency("acme", "done", "h") == RESERVED
    await store.complete_idempotency("acme", "done", "s1", ttl_s=60)
    await asyncio.sleep(0.25)
    assert await store.reserve_idempotency("acme", "crashed", "h") == RESERVED
    completed = IdempotencyResult(IdempotencyState.COMPLETED, "s1")
    assert await store.reserve_idempotency("acme", "done", "h") == completed


async def test_completion_after_the_reservation_expired_still_answers(
    make_store: StoreFactory,
) -> None:
    store = make_store(in_progress_ttl_s=0.05)
    assert await store.reserve_idempotency("acme", "slow", "h") == RESERVED
    await asyncio.sleep(0.15)
    await store.complete_idempotency("acme", "slow", "s1")
    completed = IdempotencyResult(IdempotencyState.COMPLETED, "s1")
    assert await store.reserve_idempotency("acme", "slow", "h") == completed


# --- bookings whose answer never came -----------------------------------------------


async def test_an_uncertain_booking_is_marked_per_tenant_carrier_and_reference(
    make_store: StoreFactory,
) -> None:
    first, second = make_store(), make_store()  # two processes on one database
    await first.mark_uncertain("acme", CarrierCode.ENVIO, "SO-1")
    assert await second.is_uncertain("acme", CarrierCode.ENVIO, "SO-1")
    assert not await second.is_uncertain("globex", CarrierCode.ENVIO, "SO-1")
    assert not await second.is_uncertain("acme", CarrierCode.BORZO, "SO-1")
    await first.mark_uncertain("acme", CarrierCode.ENVIO, "SO-1")  # again: still one
    await second.clear_uncertain("acme", CarrierCode.ENVIO, "SO-1")
    assert not await first.is_uncertain("acme", CarrierCode.ENVIO, "SO-1")


async def test_an_uncertain_mark_expires(make_store: StoreFactory) -> None:
    now = [1_000_000.0]
    store = make_store(clock=lambda: now[0])
    await store.mark_uncertain("acme", CarrierCode.ENVIO, "SO-1", ttl_s=60)
    now[0] += 59
    assert await store.is_uncertain("acme", CarrierCode.ENVIO, "SO-1")
    now[0] += 2
    assert not await store.is_uncertain("acme", CarrierCode.ENVIO, "SO-1")


async def test_any_reference_can_be_marked(store: ShipmentStore) -> None:
    """References are the caller's text: long, NUL, lone surrogates, marks alike."""
    odd = ["x" * 5000, "a\x00b", "\ud800", "\x01" + "ab", "\x02", "SO-1"]
    for reference in odd:
        await store.mark_uncertain("acme", CarrierCode.ENVIO, reference)
    for reference in odd:
        assert await store.is_uncertain("acme", CarrierCode.ENVIO, reference)
    assert not await store.is_uncertain("acme", CarrierCode.ENVIO, "x" * 4999)


# --- orphans ----------------------------------------------------------------------


async def test_orphans_taken_by_either_key_oldest_first_once(store: ShipmentStore) -> None:
    await store.add_orphan(orphan("e1", carrier_shipment_id="C-1"))
    await store.add_orphan(orphan("e2", tracking_number="T-1"))
    await store.add_orphan(orphan("e3", carrier_shipment_id="C-1", tracking_number="T-1"))
    await store.add_orphan(orphan("e4", carrier_shipment_id="C-1"))
    await store.add_orphan(orphan("x1", carrier_shipment_id="C-2", tracking_number="T-2"))
    await store.add_orphan(orphan("b1", carrier_shipment_id="C-1", carrier=CarrierCode.BORZO))

    taken = await store.take_orphans(CarrierCode.ENVIO, "C-1", "T-1")
    assert [u.event_id for u in taken] == ["e1", "e2", "e3", "e4"]
    assert taken[0] == orphan("e1", carrier_shipment_id="C-1")
    assert await store.take_orphans(CarrierCode.ENVIO, "C-1", "T-1") == []

    by_number = await store.take_orphans(CarrierCode.ENVIO, None, "T-2")
    assert [u.event_id for u in by_number] == ["x1"]
    assert await store.take_orphans(CarrierCode.ENVIO, "C-2", None) == []  # x1's copy
    assert [u.event_id for u in await store.take_orphans(CarrierCode.BORZO, "C-1", None)] == ["b1"]
    assert await store.take_orphans(CarrierCode.ENVIO, None, None) == []


async def test_concurrent_takers_get_disjoint_orphans(store: ShipmentStore) -> None:
    for i in range(30):
        if i % 2:
            await store.add_orphan(orphan(f"e{i}", carrier_shipment_id="C-1"))
        else:
            await store.add_orphan(orphan(f"e{i}", tracking_number="T-1"))
    takes = await asyncio.gather(
        *(store.take_orphans(CarrierCode.ENVIO, "C-1", "T-1") for _ in range(10))
    )
    taken = [u.event_id for take in takes for u in take]
    assert sorted(taken) == sorted(f"e{i}" for i in range(30))


async def test_reindex_leaves_a_tracking_number_another_shipment_took(
    store: ShipmentStore,
) -> None:
    await store.create(shipment("s1", tracking_number="T-1"))
    await store.create(shipment("s2", tracking_number="T-1"))  # reused by the carrier
    await store.update("acme", "s1", lambda s: replace(s, tracking_number="T-2"))
    found = await store.find_by_tracking_number(CarrierCode.ENVIO, "T-1")
    assert found is not None and found.id == "s2"


async def test_update_may_not_take_another_shipments_carrier_id(store: ShipmentStore) -> None:
    await store.create(shipment("s1", carrier_shipment_id="C-1"))
    created = await store.create(shipment("s2", carrier_shipment_id="C-2"))
    with pytest.raises(DuplicateShipment):
        await store.update("acme", "s2", lambda s: replace(s, carrier_shipment_id="C-1"))
    assert await store.get("acme", "s2") == created
    found = await store.find_by_carrier_id(CarrierCode.ENVIO, "C-1")
    assert found is not None and found.id == "s1"
    await store.update("acme", "s2", lambda s: replace(s, carrier_shipment_id="C-3"))
    assert await store.find_by_carrier_id(CarrierCode.ENVIO, "C-2") is None
    found = await store.find_by_carrier_id(CarrierCode.ENVIO, "C-3")
    assert found is not None and found.id == "s2"


# --- tracking polls: the active index and its claims --------------------------------

INTERVAL_S = 300.0  # five minutes, so at(m) and at(m + 5) are one interval apart


async def claim(
    store: ShipmentStore, minute: int, limit: int = 10, carrier: CarrierCode = CarrierCode.ENVIO
) -> list[str]:
    claimed = await store.claim_due(carrier, now=at(minute), interval_s=INTERVAL_S, limit=limit)
    return [s.id for s in claimed]


async def test_an_active_shipment_is_due_an_interval_after_it_was_fresh(
    store: ShipmentStore,
) -> None:
    await store.create(shipment("s1", minute=0))
    await store.create(shipment("s2", minute=2, tenant="globex"))
    assert await claim(store, 4) == []
    assert await claim(store, 5) == ["s1"]
    assert await claim(store, 7) == ["s2"]  # any tenant's
    assert await claim(store, 9) == []  # s1's claim at 5 is its lease
    assert await claim(store, 10) == ["s1"]  # a poll that failed: due again


async def database_clock(store: ShipmentStore) -> datetime:
    """The database server's own time (not this process's, which may differ)."""
    assert isinstance(store, SqlShipmentStore)
    async with store.engine.connect() as conn:
        now = (await conn.execute(sa.select(sa.func.now(type_=sa.DateTime())))).scalar_one()
    assert isinstance(now, datetime)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


async def test_without_a_now_claims_go_by_the_databases_clock(store: ShipmentStore) -> None:
    """Relative to the database's clock, whatever the date: a shipment fresh a day ago
    is due, one stamped a day ahead (a process whose clock runs fast) is taken as
    fresh now, and a claim is a lease for the interval."""
    database_now = await database_clock(store)
    await store.create(replace(shipment("old"), updated_at=database_now - timedelta(days=1)))
    await store.create(replace(shipment("ahead"), updated_at=database_now + timedelta(days=1)))
    claimed = await store.claim_due(CarrierCode.ENVIO, interval_s=INTERVAL_S, limit=10)
    assert [s.id for s in claimed] == ["old"]
    assert await store.claim_due(CarrierCode.ENVIO, interval_s=INTERVAL_S, limit=10) == []
    # an interval on, both are due: the one stamped a day ahead was taken as fresh at
    # the database's time, and the claim of the other was a lease for one interval
    later = database_now + timedelta(seconds=INTERVAL_S + 5)
    again = await store.claim_due(CarrierCode.ENVIO, now=later, interval_s=INTERVAL_S, limit=10)
    assert sorted(s.id for s in again) == ["ahead", "old"]


async def test_claims_come_in_bounded_batches_longest_due_first(store: ShipmentStore) -> None:
    for i, minute in enumerate([4, 0, 3, 1, 2]):
        await store.create(shipment(f"s{i}", minute=minute))
    assert await claim(store, 30, limit=2) == ["s1", "s3"]
    assert await claim(store, 30, limit=2) == ["s4", "s2"]
    assert await claim(store, 30, limit=2) == ["s0"]
    assert await claim(store, 30, limit=2) == []
    assert await claim(store, 30, limit=0) == []


async def test_claimed_shipments_are_the_stored_ones(store: ShipmentStore) -> None:
    await store.create(shipment("s1", tenant="globex", tracking_number="T-1"))
    updated = await store.update(
        "globex", "s1", lambda s: replace(s, status=ShipmentStatus.IN_TRANSIT)
    )
    [claimed] = await store.claim_due(CarrierCode.ENVIO, now=at(60), interval_s=INTERVAL_S, limit=5)
    assert claimed == updated


async def test_terminal_shipments_and_drafts_are_never_due(store: ShipmentStore) -> None:
    await store.create(shipment("done", status=ShipmentStatus.DELIVERED))
    await store.create(shipment("draft", status=ShipmentStatus.DRAFT))
    await store.create(shipment("booked-draft", status=ShipmentStatus.DRAFT))
    await store.create(shipment("moving"))
    await store.create(shipment("cancelled"))
    await store.update("acme", "cancelled", lambda s: replace(s, status=ShipmentStatus.CANCELLED))
    await store.update("acme", "moving", lambda s: replace(s, status=ShipmentStatus.IN_TRANSIT))
    await store.update("acme", "booked-draft", lambda s: replace(s, status=ShipmentStatus.CREATED))
    assert sorted(await claim(store, 60)) == ["booked-draft", "moving"]
    await store.update("acme", "moving", lambda s: replace(s, status=ShipmentStatus.LOST))
    assert await claim(store, 120) == ["booked-draft"]


async def test_an_update_makes_a_shipment_fresh(store: ShipmentStore) -> None:
    await store.create(shipment("s1", minute=0))
    await store.update("acme", "s1", lambda s: replace(s, updated_at=at(4), reference="x"))
    assert await claim(store, 5) == []  # a webhook just told us
    assert await claim(store, 9) == ["s1"]


async def test_an_update_never_shortens_a_claim(store: ShipmentStore) -> None:
    await store.create(shipment("s1", minute=0))
    assert await claim(store, 10) == ["s1"]
    await store.update("acme", "s1", lambda s: replace(s, updated_at=at(3), reference="x"))
    assert await claim(store, 14) == []
    assert await claim(store, 15) == ["s1"]


async def test_the_index_is_per_carrier(store: ShipmentStore) -> None:
    await store.create(shipment("e1"))
    await store.create(shipment("b1", carrier=CarrierCode.BORZO))
    assert await claim(store, 10, carrier=CarrierCode.BORZO) == ["b1"]
    assert await claim(store, 10, carrier=CarrierCode.ENVOY) == []
    await store.update(
        "acme", "e1", lambda s: replace(s, carrier=CarrierCode.ENVOY, updated_at=at(11))
    )
    assert await claim(store, 20) == []
    assert await claim(store, 20, carrier=CarrierCode.ENVOY) == ["e1"]


async def test_concurrent_claims_take_each_shipment_once(store: ShipmentStore) -> None:
    for i in range(30):
        await store.create(shipment(f"s{i:02d}", minute=i % 5))
    now = at(30)
    claims = await asyncio.gather(
        *(
            store.claim_due(CarrierCode.ENVIO, now=now, interval_s=INTERVAL_S, limit=4)
            for _ in range(10)
        )
    )
    claimed = [s.id for batch in claims for s in batch]
    assert sorted(claimed) == [f"s{i:02d}" for i in range(30)]
    later = now + timedelta(seconds=INTERVAL_S - 1)
    again = await store.claim_due(CarrierCode.ENVIO, now=later, interval_s=INTERVAL_S, limit=50)
    assert again == []


async def test_claim_refuses_a_negative_limit_or_interval(store: ShipmentStore) -> None:
    with pytest.raises(ValueError):
        await store.claim_due(CarrierCode.ENVIO, now=at(0), interval_s=INTERVAL_S, limit=-1)
    with pytest.raises(ValueError):
        await store.claim_due(CarrierCode.ENVIO, now=at(0), interval_s=-1, limit=1)
