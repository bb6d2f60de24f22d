"""The SQL store's search by prefix, backward pages, oldest-first order and count, on
SQLite and PostgreSQL (the contract's listing tests run on them too)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from shipgraph.domain import Address, CarrierCode, Shipment, ShipmentStatus
from shipgraph.store.base import InvalidCursor, PageRead, ShipmentFilter, ShipmentOrder
from shipgraph.store.cursors import micros
from shipgraph.store.sql import SqlShipmentStore, upgrade
from shipgraph.store.sql import store as sql_store
from shipgraph.store.sql.listing import listing_of
from shipgraph.store.sql.tables import search_terms, shipments
from tests.store.shipments import at, shipment

OLDEST = ShipmentOrder.OLDEST_FIRST


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        fresh: str = request.getfixturevalue("fresh_postgres_url")
        return fresh
    return f"sqlite+aiosqlite:///{tmp_path / 'shipgraph.db'}"


@pytest.fixture(params=["terms", "walk"], autouse=True)
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test once per way a search can be read: its term index read whole (a
    rare prefix, the default for a few shipments), or the listing checked along its
    index (a common one)."""
    if request.param == "walk":
        monkeypatch.setattr(sql_store, "SEARCH_PROBE", 1)


@pytest.fixture
async def store(url: str) -> AsyncIterator[SqlShipmentStore]:
    await upgrade(url)
    made = SqlShipmentStore.from_url(url)
    yield made
    await made.aclose()


def recipient(
    shipment_id: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    country: str = "ID",
    **fields: object,
) -> Shipment:
    made = shipment(shipment_id, **fields)  # type: ignore[arg-type]
    destination = Address(line1="Jl. Thamrin 2", country_code=country, name=name, phone=phone)
    return replace(made, destination=destination)


async def ids(
    store: SqlShipmentStore, search: str, tenant: str = "acme", **kw: object
) -> list[str]:
    page = await store.list(tenant, 50, filter=ShipmentFilter(search=search, **kw))  # type: ignore[arg-type]
    return [one.id for one in page.shipments]


async def seed(store: SqlShipmentStore) -> None:
    for one in [
        recipient("s1", minute=1, reference="SO-1001", name="Budi Santoso",
                  phone="+62 812-3456-7890"),
        recipient("s2", minute=2, reference="so-2002", tracking_number="JX-77", name="Siti Rahma"),
        recipient("s3", minute=3, reference="INV-9", name="Maria Santos", phone="0917 555 1234",
                  country="PH", status=ShipmentStatus.DELIVERED),
        recipient("s4", minute=4, reference="a%b_c\\d", tenant="other", name="Budi Lain"),
        recipient("s5", minute=5, reference="a%b_c\\d"),
    ]:  # fmt: skip
        await store.create(one)


# --- search ---------------------------------------------------------------------------


async def test_search_finds_each_kind_of_term_by_prefix_ignoring_case(
    store: SqlShipmentStore,
) -> None:
    await seed(store)
    assert await ids(store, "so-") == ["s2", "s1"]  # references, newest first
    assert await ids(store, "SO-10") == ["s1"]
    assert await ids(store, "jx") == ["s2"]  # a tracking number
    assert await ids(store, "budi") == ["s1"]  # first name; s4 is another tenant's
    assert await ids(store, "SANT") == ["s3", "s1"]  # last names, from a word's start
    assert await ids(store, "budi sant") == ["s1"]
    assert await ids(store, "  budi   SANTOSO ") == ["s1"]  # spaces collapse
    assert await ids(store, "anto") == []  # a prefix, not a substring
    assert await ids(store, "nobody") == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("0812", ["s1"]),
        ("62812", ["s1"]),
        ("+62 812", ["s1"]),
        ("812-3456", ["s1"]),
        ("(0812) 3456 7890", ["s1"]),
        ("0917", ["s3"]),
        ("63917", ["s3"]),
        ("0", ["s3", "s1"]),
        ("62817", []),
    ],
)
async def test_search_finds_a_phone_as_a_merchant_types_it(
    store: SqlShipmentStore, typed: str, found: list[str]
) -> None:
    await seed(store)
    assert await ids(store, typed) == found


async def test_search_text_is_never_a_pattern(store: SqlShipmentStore) -> None:
    await seed(store)
    assert await ids(store, "a%") == ["s5"]
    assert await ids(store, "a%b_c\\") == ["s5"]
    assert await ids(store, "%") == []
    assert await ids(store, "_") == []
    assert await ids(store, "a_") == []


async def test_search_with_other_filters_and_tenants(store: SqlShipmentStore) -> None:
    await seed(store)
    delivered = frozenset({ShipmentStatus.DELIVERED})
    assert await ids(store, "sant", statuses=delivered) == ["s3"]
    assert await ids(store, "sant", created_before=at(3)) == ["s1"]
    assert await ids(store, "budi", tenant="other") == ["s4"]
    assert await ids(store, "budi", tenant="nobody") == []


@pytest.mark.parametrize("text", ["", "   ", "\x00", "a\x00", "\ud800", "\U0010ffff"])
async def test_odd_search_text_is_no_crash(store: SqlShipmentStore, text: str) -> None:
    await seed(store)
    found = await ids(store, text)
    if text.strip():
        assert found == []
    else:
        assert found == ["s5", "s3", "s2", "s1"]  # blank: every shipment


async def test_a_shipment_is_found_once_however_many_terms_match(
    store: SqlShipmentStore,
) -> None:
    await store.create(recipient("s1", reference="ana-1", tracking_number="ANA-T", name="Ana Ana"))
    assert await ids(store, "ana") == ["s1"]
    assert await store.count("acme", ShipmentFilter(search="ana")) == 1


async def test_an_update_moves_the_terms(store: SqlShipmentStore) -> None:
    await store.create(recipient("s1", reference="OLD-1", name="Budi"))
    await store.update("acme", "s1", lambda s: replace(s, reference="NEW-1", tracking_number="TQ1"))
    assert await ids(store, "old") == []
    assert await ids(store, "new") == ["s1"]
    assert await ids(store, "tq") == ["s1"]
    assert await ids(store, "budi") == ["s1"]


async def test_unstorable_recipient_text_is_no_term(store: SqlShipmentStore) -> None:
    await store.create(recipient("s1", reference="R-1", name="Bu\x00di", phone="08\x0012"))
    assert await ids(store, "r-1") == ["s1"]
    assert await ids(store, "bu") == []
    assert await ids(store, "0812") == ["s1"]  # a phone is its digits


@pytest.mark.parametrize("probe", [1, 2, 1000])
async def test_rare_and_common_prefixes_list_alike(
    store: SqlShipmentStore, monkeypatch: pytest.MonkeyPatch, probe: int
) -> None:
    """Both ways of reading a search (its terms whole, or the listing checked along
    its index) give the same pages, whichever the probe picks, page after page."""
    monkeypatch.setattr(sql_store, "SEARCH_PROBE", probe)
    for n in range(12):
        await store.create(recipient(f"s{n:02d}", minute=n % 5, reference=f"R-{n}", name="Rudi"))
    await store.create(recipient("x1", reference="Q-1"))
    pages, after = [], None
    for _ in range(5):
        page = await store.list("acme", 5, after, ShipmentFilter(search="r"))
        pages.append([one.id for one in page.shipments])
        if not page.has_next_page:
            break
        after = page.cursors[-1]
    everything = [i for page in pages for i in page]
    expected = sorted((f"s{n:02d}" for n in range(12)), key=lambda i: (int(i[1:]) % 5, i))
    assert everything == expected[::-1]
    assert len(pages) == 3
    assert await store.count("acme", ShipmentFilter(search="r")) == 12
    assert await store.count("acme", ShipmentFilter(search="r"), at_most=5) == 5
    # dates narrow what the term index read; none left is an empty page, not a stop short
    dated = ShipmentFilter(search="r", created_after=at(2), created_before=at(4))
    assert [one.id for one in (await store.list("acme", 10, filter=dated)).shipments] == [
        "s08",
        "s03",
    ]
    assert await store.count("acme", dated) == 2
    late = ShipmentFilter(search="r", created_after=at(4))
    assert (await store.list("acme", 10, filter=late)).shipments == []
    backward = await store.list("acme", 0, filter=ShipmentFilter(search="r"), last=3)
    assert [one.id for one in backward.shipments] == ["s10", "s05", "s00"]


# --- backward pages and the order ----------------------------------------------------


async def make_ten(store: SqlShipmentStore) -> list[str]:
    """s0..s9 created a minute apart, s8 and s9 at the same time (ties break by id)."""
    for n in range(10):
        await store.create(shipment(f"s{n}", minute=min(n, 8)))
    return [f"s{n}" for n in range(10)]


async def walk(
    store: SqlShipmentStore, size: int, order: ShipmentOrder, backward: bool
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        if backward:
            page = await store.list("acme", 0, last=size, before=cursor, order=order)
            more, cursor = page.has_previous_page, page.cursors[0] if page.cursors else None
            assert not page.has_next_page
        else:
            page = await store.list("acme", size, cursor, order=order)
            more, cursor = page.has_next_page, page.cursors[-1] if page.cursors else None
        pages.append([one.id for one in page.shipments])
        if not more:
            return pages


@pytest.mark.parametrize("order", list(ShipmentOrder))
async def test_backward_pages_are_the_forward_ones_from_the_other_end(
    store: SqlShipmentStore, order: ShipmentOrder
) -> None:
    oldest_first = await make_ten(store)
    listing = oldest_first if order is OLDEST else oldest_first[::-1]
    forward = await walk(store, 4, order, backward=False)
    assert forward == [listing[0:4], listing[4:8], listing[8:10]]
    backward = await walk(store, 4, order, backward=True)
    assert backward == [listing[6:10], listing[2:6], listing[0:2]]


async def test_before_a_cursor_of_the_middle(store: SqlShipmentStore) -> None:
    await make_ten(store)
    newest = await store.list("acme", 10)
    page = await store.list("acme", 0, last=3, before=newest.cursors[5])
    assert [one.id for one in page.shipments] == ["s7", "s6", "s5"]
    assert page.has_previous_page
    assert page.cursors == newest.cursors[2:5]
    again = await store.list("acme", 0, last=3, before=page.cursors[0])
    assert [one.id for one in again.shipments] == ["s9", "s8"]
    assert not again.has_previous_page
    assert (await store.list("acme", 0, last=0)).shipments == []


async def test_last_with_filters_and_oldest_first(store: SqlShipmentStore) -> None:
    for n in range(6):
        status = ShipmentStatus.DELIVERED if n % 2 else ShipmentStatus.CREATED
        await store.create(recipient(f"s{n}", minute=n, name="Rudi", status=status))
    query = ShipmentFilter(statuses=frozenset({ShipmentStatus.DELIVERED}), search="rud")
    page = await store.list("acme", 0, filter=query, last=2, order=OLDEST)
    assert [one.id for one in page.shipments] == ["s3", "s5"]
    assert page.has_previous_page
    dated = ShipmentFilter(created_after=at(1), created_before=at(5))
    page = await store.list("acme", 10, filter=dated, order=OLDEST)
    assert [one.id for one in page.shipments] == ["s2", "s3", "s4"]


@pytest.mark.parametrize("cursor", ["nope", "", "x" * 300, "W10", "WzEsIlx1MDAwMCJd"])
async def test_a_bad_before_cursor(store: SqlShipmentStore, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        await store.list("acme", 0, last=5, before=cursor)


async def test_a_page_is_one_direction(store: SqlShipmentStore) -> None:
    await make_ten(store)
    cursor = (await store.list("acme", 1)).cursors[0]
    with pytest.raises(ValueError, match="first and after, or last and before"):
        await store.list("acme", 5, last=5)
    with pytest.raises(ValueError, match="first and after, or last and before"):
        await store.list("acme", 0, cursor, last=5)
    with pytest.raises(ValueError, match="before goes with last"):
        await store.list("acme", 5, before=cursor)
    with pytest.raises(ValueError, match="must be >= 0"):
        await store.list("acme", 0, last=-1)


@pytest.mark.parametrize("order", list(ShipmentOrder))
async def test_several_statuses_are_merged_in_order(
    store: SqlShipmentStore, order: ShipmentOrder
) -> None:
    kinds = [ShipmentStatus.CREATED, ShipmentStatus.LOST, ShipmentStatus.DELIVERED]
    for n in range(12):
        await store.create(recipient(f"s{n:02d}", minute=n % 4, name="Rudi", status=kinds[n % 3]))
    wanted = frozenset({ShipmentStatus.LOST, ShipmentStatus.DELIVERED})
    expected = sorted((f"s{n:02d}" for n in range(12) if n % 3), key=lambda i: (int(i[1:]) % 4, i))
    listing = expected if order is OLDEST else expected[::-1]
    for query in (ShipmentFilter(statuses=wanted), ShipmentFilter(statuses=wanted, search="ru")):
        pages, after = [], None
        while True:
            page = await store.list("acme", 3, after, query, order=order)
            pages += [one.id for one in page.shipments]
            if not page.has_next_page:
                break
            after = page.cursors[-1]
        assert pages == listing
        back = await store.list("acme", 0, filter=query, last=3, order=order)
        assert [one.id for one in back.shipments] == listing[-3:]
        assert await store.count("acme", query) == 8


async def test_a_search_and_a_filter_few_of_its_matches_pass(store: SqlShipmentStore) -> None:
    """The filter is checked on what the search names, batch after batch."""
    for n in range(30):
        status = ShipmentStatus.LOST if n in (3, 17) else ShipmentStatus.CREATED
        await store.create(recipient(f"s{n:02d}", minute=n, name="Rudi", status=status))
    lost = ShipmentFilter(search="rud", statuses=frozenset({ShipmentStatus.LOST}))
    page = await store.list("acme", 1, filter=lost)
    assert [one.id for one in page.shipments] == ["s17"] and page.has_next_page
    page = await store.list("acme", 1, page.cursors[0], lost)
    assert [one.id for one in page.shipments] == ["s03"] and not page.has_next_page
    assert await store.count("acme", lost) == 2
    assert await store.count("acme", lost, at_most=1) == 1


async def test_no_status_at_all_matches_nothing(store: SqlShipmentStore) -> None:
    await seed(store)
    for query in (
        ShipmentFilter(statuses=frozenset()),
        ShipmentFilter(statuses=frozenset(), search="so"),
    ):
        assert (await store.list("acme", 10, filter=query)).shipments == []
        assert await store.count("acme", query) == 0


def test_a_listing_is_built_once_per_shape() -> None:
    """Two listings of one shape share their statements (the values are bound);
    another shape gets its own."""
    first = listing_of("acme", ShipmentFilter(search="budi", created_after=at(1)), 10)
    second = listing_of("other", ShipmentFilter(search="siti", created_after=at(7)), 10)
    assert first.shape == second.shape
    for by_terms in (True, False):
        statement, params = first.page("2:x", True, 5, by_terms=by_terms)
        again, other_params = second.page("1:s", True, 9, by_terms=by_terms)
        assert statement is again
        assert (params["tenant"], params["term_0"], params["batch"]) == ("acme", "budi", 5)
        assert (other_params["start_us"], other_params["start_id"]) == (1, "s")
    undated = listing_of("acme", ShipmentFilter(search="budi"), 10)
    assert (
        undated.page(None, True, 5, by_terms=True)[0]
        is not first.page(None, True, 5, by_terms=True)[0]
    )


@pytest.mark.parametrize("order", list(ShipmentOrder))
async def test_a_pages_versions_are_what_its_listing_reads(
    store: SqlShipmentStore, order: ShipmentOrder
) -> None:
    await seed(store)
    lost = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.CREATED})
    for query in (None, ShipmentFilter(statuses=lost), ShipmentFilter(created_after=at(2))):
        for size in (0, 1, 2, 5):
            forward = await store.list("acme", size, None, query, order=order)
            read = PageRead.of("acme", forward, size, None, query, order=order)
            assert await store.page_versions(read) == read
            after = forward.cursors[-1] if forward.cursors else None
            onward = await store.list("acme", size, after, query, order=order)
            read = PageRead.of("acme", onward, size, after, query, order=order)
            assert await store.page_versions(read) == read
            back = await store.list("acme", 0, None, query, last=size, order=order)
            read = PageRead.of("acme", back, 0, None, query, last=size, order=order)
            assert await store.page_versions(read) == read
    with pytest.raises(ValueError, match="search"):
        page = await store.list("acme", 2, filter=ShipmentFilter(search="so"))
        await store.page_versions(PageRead.of("acme", page, 2, None, ShipmentFilter(search="so")))


async def test_a_pages_versions_follow_a_change(store: SqlShipmentStore) -> None:
    await seed(store)
    page = await store.list("acme", 1)
    read = PageRead.of("acme", page, 1)
    await store.update("acme", page.shipments[0].id, lambda s: replace(s, reference="SO-9"))
    now = await store.page_versions(read)
    assert now.versions == ((page.shipments[0].id, page.shipments[0].version + 1),)


# --- count ---------------------------------------------------------------------------


async def test_count_follows_the_filter_and_stops_at_its_cap(store: SqlShipmentStore) -> None:
    await seed(store)
    assert await store.count("acme") == 4
    assert await store.count("acme", at_most=2) == 2
    assert await store.count("acme", at_most=0) == 0
    assert await store.count("other") == 1
    assert await store.count("nobody") == 0
    assert await store.count("acme", ShipmentFilter(search="so-")) == 2
    delivered = frozenset({ShipmentStatus.DELIVERED})
    assert await store.count("acme", ShipmentFilter(search="sant", statuses=delivered)) == 1
    assert await store.count("acme", ShipmentFilter(search="sant", created_after=at(2))) == 1
    assert await store.count("acme", ShipmentFilter(reference="SO-1001")) == 1
    assert await store.count("acme", ShipmentFilter(reference="\x00")) == 0
    assert await store.count("acme", ShipmentFilter(created_after=at(2))) == 2
    assert await store.count("acme", ShipmentFilter(carrier=CarrierCode.BORZO)) == 0
    with pytest.raises(ValueError, match="at_most"):
        await store.count("acme", at_most=-1)


# --- the migration -------------------------------------------------------------------


async def test_the_migration_finds_shipments_stored_before_it(url: str) -> None:
    await upgrade(url, "0001")
    engine = sql_store.create_engine(url)
    try:
        kept = recipient("s1", reference="SO-OLD", name="Budi Santoso", phone="0812 1111")
        async with engine.begin() as conn:
            for one, document in [
                (kept, sql_store.write_shipment(kept)),
                (shipment("s2", reference="SO-BAD", minute=1), b"{not json"),
            ]:
                await conn.execute(
                    sa.insert(shipments).values(
                        tenant=one.tenant,
                        id=one.id,
                        version=1,
                        carrier=one.carrier.value,
                        carrier_shipment_id=one.carrier_shipment_id,
                        status=one.status.value,
                        reference=one.reference,
                        created_us=micros(one.created_at),
                        created_at=one.created_at,
                        document=document,
                    )
                )
        await upgrade(url)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(search_terms.c.shipment_id).distinct())).all()
        assert [row.shipment_id for row in rows] == ["s1"]  # the unreadable one has none
    finally:
        await engine.dispose()
    store = SqlShipmentStore.from_url(url)
    try:
        for typed in ("so-old", "santoso", "62812"):
            assert await ids(store, typed) == ["s1"]
    finally:
        await store.aclose()


def test_a_cursor_of_the_listing_is_no_search_term() -> None:
    """Cursors stay the listing's (a page of a search continues with any filter)."""
    raw = json.dumps([micros(at(0)), "s1"], separators=(",", ":")).encode()
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
