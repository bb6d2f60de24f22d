"""Filters at scale: the four listing filters of issue 13 (first 20) on a tenant with
10 000 shipments and on one with 1 000 000, through `shipgraph serve`.

Seeding goes straight into PostgreSQL, not through the gateway: asyncpg's binary
``COPY`` (``copy_records_to_table``) into ``shipments`` (the columns of migration
0001), ``tracking_numbers`` (every shipment) and ``poll_leases`` (the active ones).
With migration 0002 (branch ``search``: ``shipments.search_text`` and the
``search_terms`` table) and its ``shipgraph.store.search``, those are filled too,
by the store's own ``search_terms``/``search_text`` (checked on the first row of
every batch against the decoded document).
Every ``document`` is the codec's JSON of a realistic domain Shipment (an Envio
booking with its addresses, a parcel with an item, price, courier, two tracking
logs): one template is encoded with ``shipgraph.codec.encode_shipment`` and each row
patches its id, reference, carrier id, tracking number, status, destination city and
created/updated time into it (a placeholder in the template's JSON each). The first
document of every batch is decoded with ``shipgraph.codec.decode_shipment``, and one
shipment of each database is read through the gateway's ``shipment(id)``.

While the big table is loaded, its secondary indexes (the listing's and the
filters') are dropped and built again afterwards from their own definitions
(``pg_indexes.indexdef``), foreign-key triggers are off for the session
(``session_replication_role = replica``; the rows are consistent by construction),
and ``ANALYZE`` runs at the end. The gateways run with the tracking poller off
(``poll_s=0``): the seeded leases are months old, so every active shipment (a quarter
of them) would be due at once and the poller would keep the gateway busy polling the
Envio simulator for shipments it never booked.

Distribution, fixed (``random.Random(13)``, nothing from the wall clock): created
times uniform over the year 2025; one status, LOST, is exactly 0.1 % of the rows
(every 1 000th), the others drawn by weight (DELIVERED 62 %, IN_TRANSIT 12 %, ...).
References are ``SO-%08d`` of the row number, tracking numbers ``ENV%010d``.

The two databases are served by one gateway each, at the same time, and the filters
alternate between the two in rounds (bench/measure.py). Filters, first 20, newest
first, as ``shipments(first: 20, filter: ...)`` with a dashboard's fields:

- ``reference``: exact, a reference that exists (1 match);
- ``search``: prefix ``SO-000012`` (100 matches in each), only when the schema's
  ShipmentFilter has ``search`` (checked by introspection); else a note;
- ``status``: LOST (0.1 %: 10 in the small table, 1 000 in the big one);
- ``date range``: createdAfter/createdBefore a week in July (about 2 % of the rows).

At the end, ``EXPLAIN (ANALYZE, BUFFERS)`` of the SQL the store sends for each filter
on the big table (captured from a SqlShipmentStore in this process running the same
filter), summarised as its plan nodes, to show which index answers.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import random
import re
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import event
from tests.integration.operations import GET
from tests.support.builders import doc_request
from tests.support.postgres_server import PostgresServer

from bench.common import BenchError, data, fresh_database, gql, graphql_at
from bench.deploy import Deployment, deployment
from bench.measure import Call, Latency, latencies
from bench.plain import asyncpg_dsn
from bench.report import Target, at_most, section
from shipgraph.codec import decode_shipment, encode_shipment
from shipgraph.domain import (
    CarrierCode,
    Courier,
    Money,
    Parcel,
    ParcelItem,
    Shipment,
    ShipmentStatus,
    TrackingLog,
)
from shipgraph.store.base import ShipmentFilter
from shipgraph.store.cursors import micros
from shipgraph.store.sql import SqlShipmentStore

try:  # migration 0002 and ShipmentFilter.search (branch `search`)
    from shipgraph.store import search as searching
except ImportError:
    searching = None

TENANT = "acme"
SMALL = 10_000
BIG = 1_000_000
FIRST = 20
ROUNDS = 200
WARMUP = 20
BATCH = 50_000
"""Rows generated and copied at a time."""

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_S = 365 * 24 * 3600
RARE = ShipmentStatus.LOST
RARE_EVERY = 1_000
"""Every 1 000th row is RARE: 0.1 %."""
WEIGHTS = {
    ShipmentStatus.DELIVERED: 62,
    ShipmentStatus.IN_TRANSIT: 12,
    ShipmentStatus.CREATED: 8,
    ShipmentStatus.PICKED_UP: 5,
    ShipmentStatus.OUT_FOR_DELIVERY: 4,
    ShipmentStatus.AT_HUB: 4,
    ShipmentStatus.CANCELLED: 3,
    ShipmentStatus.RETURNED: 2,
}
CITIES = (
    "Jakarta Selatan",
    "Jakarta Barat",
    "Bandung",
    "Surabaya",
    "Medan",
    "Semarang",
    "Makassar",
    "Denpasar",
)
TERMINAL = {ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED, ShipmentStatus.RETURNED, RARE}

SEARCH_PREFIX = "SO-000012"
RANGE_AFTER = datetime(2025, 7, 1, tzinfo=UTC)
RANGE_BEFORE = datetime(2025, 7, 8, tzinfo=UTC)
REFERENCE_ROW = 7_777

SECONDARY_INDEXES = (
    "shipments_listing",
    "shipments_by_carrier",
    "shipments_by_status",
    "shipments_by_reference",
    "shipments_by_tracking_number",
)
SHIPMENT_COLUMNS = (
    "tenant",
    "id",
    "version",
    "carrier",
    "carrier_shipment_id",
    "tracking_number",
    "status",
    "reference",
    "created_us",
    "created_at",
    "document",
)
"""The columns of migration 0001."""
SEARCH_COLUMNS = ("search_text",)
"""Migration 0002's, filled when the database has them."""
TERM_COLUMNS = ("tenant", "shipment_id", "term", "created_us")
SEARCH_INDEXES = ("search_terms_by_term",)

LISTED = """
query Listed($first: Int, $filter: ShipmentFilter) {
  shipments(first: $first, filter: $filter) {
    edges { node { id status trackingNumber reference createdAt } }
    pageInfo { hasNextPage }
  }
}
"""
TYPENAME = "{ __typename }"
FLOORS = ("no filter", "{ __typename }")
"""Per round on the big gateway too: the unfiltered first page (the listing's own
index) and the least GraphQL request (its fixed cost on this machine, this run)."""
FILTER_FIELDS = '{ __type(name: "ShipmentFilter") { inputFields { name } } }'


# --- the documents -------------------------------------------------------------

MARKS = ("ID", "REF", "CARRIER_ID", "TRACKING", "STATUS", "CITY", "CREATED")
"""Placeholders in the template's JSON, in the order rows give their values."""


def template_shipment() -> Shipment:
    """An Envio booking as the gateway stores one, two tracking logs into its life."""
    request = doc_request()
    when = YEAR_START
    logs = (
        TrackingLog(ShipmentStatus.PICKED_UP, "picked_up", when, "Picked up by the courier"),
        TrackingLog(ShipmentStatus.CREATED, "new", when, "Shipment created"),
    )
    parcel = Parcel(
        weight_kg=1.2,
        length_cm=10,
        width_cm=30,
        height_cm=20,
        items=(
            ParcelItem(
                name="Air Mineral 300 ML",
                quantity=1,
                sku="2192x127y",
                unit_price=Money(Decimal("12500"), "IDR"),
                weight_kg=1.2,
            ),
        ),
    )
    return Shipment(
        id="shp_template",
        tenant=TENANT,
        reference="SO-template",
        carrier=CarrierCode.ENVIO,
        carrier_shipment_id="template",
        status=ShipmentStatus.PICKED_UP,
        origin=request.origin,
        destination=request.destination,
        created_at=when,
        updated_at=when,
        tracking_number="ENV-template",
        carrier_status="picked_up",
        parcels=(parcel,),
        description="Air mineral",
        cash_on_delivery=Money(Decimal("23000"), "IDR"),
        price=Money(Decimal("18000"), "IDR"),
        courier=Courier(name="Budi", phone="6281200000000", vehicle="B 1234 BEN"),
        tracking_logs=logs,
        estimated_delivery_at=when + timedelta(days=2),
        carrier_data={"ref_code": "SO-template"},
    )


PLACEHOLDER = re.compile(r"~~([A-Z_]+)~~")


def template_parts() -> list[bytes]:
    """The template's JSON (encode_shipment) split at its placeholders: row values go
    between the parts in MARKS order, the creation time wherever the template has one."""
    shipment = json.loads(encode_shipment(template_shipment()))
    mark = {name: f"~~{name}~~" for name in MARKS}
    shipment.update(
        id=mark["ID"],
        reference=mark["REF"],
        carrier_shipment_id=mark["CARRIER_ID"],
        tracking_number=mark["TRACKING"],
        status=mark["STATUS"],
    )
    shipment["destination"]["city"] = mark["CITY"]
    shipment["carrier_data"]["ref_code"] = mark["REF"]
    text = json.dumps(shipment, separators=(",", ":"), ensure_ascii=False)
    created = '"2025-01-01T00:00:00Z"'  # YEAR_START as the codec writes it
    if created not in text:
        raise BenchError(f"the template's created_at is not {created}: {text[:300]}")
    text = text.replace(created, f'"{mark["CREATED"]}"')
    if set(PLACEHOLDER.findall(text)) != set(MARKS):
        raise BenchError(f"unexpected placeholders in the template: {text}")
    return [piece.encode() for piece in PLACEHOLDER.split(text)]


Records = list[tuple[Any, ...]]


@dataclass
class Batch:
    """Records for COPY: shipments, its lookup tables (shipment_ids, carrier_ids,
    tracking_numbers, poll_leases) and search_terms: what SqlShipmentStore.create
    writes, built here from a template for speed."""

    shipments: Records = field(default_factory=list)
    ids: Records = field(default_factory=list)
    carriers: Records = field(default_factory=list)
    numbers: Records = field(default_factory=list)
    leases: Records = field(default_factory=list)
    terms: Records = field(default_factory=list)


@dataclass
class Generator:
    """The rows of one table size, deterministic."""

    parts: list[bytes]
    random: random.Random
    fixed_terms: set[str] | None
    """With migration 0002: the search terms every row shares (the recipient's name
    and phone, by the store's own shipgraph.store.search); each row adds its
    reference and tracking number. None: no search columns to fill."""

    @classmethod
    def new(cls, searchable: bool) -> Generator:
        fixed = None
        if searchable and searching is not None:
            template = template_shipment()
            own = {template.reference.lower(), (template.tracking_number or "").lower()}
            fixed = searching.search_terms(template) - own
        return cls(template_parts(), random.Random(13), fixed)

    def rows(self, start: int, stop: int) -> Batch:
        """The records of rows start..stop-1."""
        statuses = list(WEIGHTS)
        cumulative = []
        total = 0
        for status in statuses:
            total += WEIGHTS[status]
            cumulative.append(total)
        parts = self.parts
        draw = self.random
        batch = Batch()
        shipments, numbers, leases = batch.shipments, batch.numbers, batch.leases
        epoch_us = micros(datetime(1970, 1, 1, tzinfo=UTC))
        year_start = int(YEAR_START.timestamp())
        for n in range(start, stop):
            if n % RARE_EVERY == RARE_EVERY - 1:
                status = RARE
            else:
                status = statuses[bisect.bisect_right(cumulative, draw.random() * total)]
            seconds = year_start + draw.randrange(YEAR_S)
            created = datetime.fromtimestamp(seconds, UTC)
            shipment_id = f"shp_{n:024x}"
            reference = f"SO-{n:08d}"
            carrier_id = f"{n:08x}-e5e0-4e1f-9a1b-{n:012x}"
            tracking = f"ENV{n:010d}"
            values = {
                "ID": shipment_id,
                "REF": reference,
                "CARRIER_ID": carrier_id,
                "TRACKING": tracking,
                "STATUS": status.value,
                "CITY": CITIES[n % len(CITIES)],
                "CREATED": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            document = b"".join(
                part if i % 2 == 0 else values[part.decode()].encode()
                for i, part in enumerate(parts)
            )
            created_us = epoch_us + seconds * 1_000_000
            row = (
                TENANT,
                shipment_id,
                1,
                "ENVIO",
                carrier_id,
                tracking,
                status.value,
                reference,
                created_us,
                created,
                document,
            )
            if self.fixed_terms is not None and searching is not None:
                terms = self.fixed_terms | {reference.lower(), tracking.lower()}
                row += (searching.search_text(terms),)
                batch.terms += [(TENANT, shipment_id, term, created_us) for term in terms]
            shipments.append(row)
            batch.ids.append((shipment_id, TENANT))
            batch.carriers.append(("ENVIO", carrier_id, TENANT, shipment_id))
            numbers.append(("ENVIO", tracking, TENANT, shipment_id))
            if status not in TERMINAL:
                fresh = seconds * 1000
                leases.append((TENANT, shipment_id, "ENVIO", fresh, fresh))
        return batch


def reference_of(n: int) -> str:
    return f"SO-{n:08d}"


def shipment_id_of(n: int) -> str:
    return f"shp_{n:024x}"


# --- seeding -------------------------------------------------------------------


@dataclass
class Seeded:
    rows: int
    seconds: float
    copy_seconds: float
    index_seconds: float
    analyze_seconds: float
    table_mb: float


async def check_columns(connection: asyncpg.Connection, columns: tuple[str, ...]) -> None:
    """BenchError when a later migration added a column to ``shipments`` that a row
    must fill (NOT NULL without a default) and this seeding does not know."""
    needed = await connection.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'shipments'"
        " AND is_nullable = 'NO' AND column_default IS NULL"
        " AND column_name <> ALL($1::text[])",
        list(columns),
    )
    if needed:
        names = ", ".join(row["column_name"] for row in needed)
        raise BenchError(f"bench/scale.py does not fill {names} of shipments")


async def search_columns(connection: asyncpg.Connection) -> bool:
    """Whether the database has migration 0002's search columns (``search_text`` and
    the ``search_terms`` table) and this shipgraph has the store's search module."""
    found = await connection.fetchval(
        "SELECT count(*) FROM information_schema.columns WHERE"
        " (table_name = 'shipments' AND column_name = 'search_text')"
        " OR (table_name = 'search_terms' AND column_name = 'term')"
    )
    return found == 2 and searching is not None


def check_document(batch: Batch, searchable: bool) -> None:
    """The batch's first document decodes, and its search terms are the store's."""
    first = batch.shipments[0]
    shipment = decode_shipment(first[SHIPMENT_COLUMNS.index("document")])
    if searchable and searching is not None:
        expected = searching.search_text(searching.search_terms(shipment))
        if first[len(SHIPMENT_COLUMNS)] != expected:
            raise BenchError(f"seeded search_text differs from the store's: {expected!r}")


async def seed(url: str, rows: int) -> Seeded:
    """COPY ``rows`` shipments of TENANT into the (empty, migrated) database at ``url``."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    started = time.perf_counter()
    try:
        searchable = await search_columns(connection)
        generator = Generator.new(searchable)
        columns = (*SHIPMENT_COLUMNS, *SEARCH_COLUMNS) if searchable else SHIPMENT_COLUMNS
        await check_columns(connection, columns)
        await connection.execute("SET session_replication_role = replica")
        indexes = [*SECONDARY_INDEXES, *(SEARCH_INDEXES if searchable else ())]
        definitions = [
            row["indexdef"]
            for row in await connection.fetch(
                "SELECT indexdef FROM pg_indexes WHERE indexname = ANY($1::text[])", indexes
            )
        ]
        if len(definitions) != len(indexes):
            raise BenchError(f"expected the indexes {indexes}, found {definitions}")
        for name in indexes:
            await connection.execute(f'DROP INDEX "{name}"')
        for start in range(0, rows, BATCH):
            batch = generator.rows(start, min(rows, start + BATCH))
            check_document(batch, searchable)
            await connection.copy_records_to_table(
                "shipments", records=batch.shipments, columns=columns
            )
            await connection.copy_records_to_table("shipment_ids", records=batch.ids)
            await connection.copy_records_to_table("carrier_ids", records=batch.carriers)
            await connection.copy_records_to_table("tracking_numbers", records=batch.numbers)
            await connection.copy_records_to_table("poll_leases", records=batch.leases)
            if searchable:
                await connection.copy_records_to_table(
                    "search_terms", records=batch.terms, columns=TERM_COLUMNS
                )
        copied = time.perf_counter()
        for definition in definitions:
            await connection.execute(definition)
        indexed = time.perf_counter()
        await connection.execute("ANALYZE")
        done = time.perf_counter()
        size = await connection.fetchval("SELECT pg_total_relation_size('shipments')")
    finally:
        await connection.close()
    return Seeded(
        rows,
        done - started,
        copied - started,
        indexed - copied,
        done - indexed,
        size / 1e6,
    )


# --- measuring -----------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    name: str
    variables: dict[str, Any]
    store: ShipmentFilter
    expect_small: int
    """Edges expected on the small table (first 20)."""


def filters(with_search: bool) -> list[Filter]:
    found = [
        Filter(
            "reference",
            {"reference": reference_of(REFERENCE_ROW)},
            ShipmentFilter(reference=reference_of(REFERENCE_ROW)),
            1,
        ),
        Filter(
            "status 0.1 %",
            {"status": [RARE.value]},
            ShipmentFilter(statuses=frozenset({RARE})),
            SMALL // RARE_EVERY,
        ),
        Filter(
            "date range",
            {"createdAfter": RANGE_AFTER.isoformat(), "createdBefore": RANGE_BEFORE.isoformat()},
            ShipmentFilter(created_after=RANGE_AFTER, created_before=RANGE_BEFORE),
            FIRST,
        ),
    ]
    if with_search:
        store_filter = ShipmentFilter(**{"search": SEARCH_PREFIX})  # branch `search`
        found.insert(1, Filter("search prefix", {"search": SEARCH_PREFIX}, store_filter, FIRST))
    return found


async def has_search(env: Deployment) -> bool:
    body = await gql(env.http, graphql_at(env.gateway), FILTER_FIELDS, {}, TENANT)
    fields = {field["name"] for field in data(body, "__type")["inputFields"]}
    store_knows = "search" in {field.name for field in dataclasses.fields(ShipmentFilter)}
    return "search" in fields and store_knows


def listing(env: Deployment, chosen: Filter, expected: int) -> Call:
    at = graphql_at(env.gateway)
    variables = {"first": FIRST, "filter": chosen.variables}

    async def call() -> None:
        # run every time: a repeated page would be the response cache's, one index read
        answer = await gql(env.http, at, LISTED, variables, TENANT, fresh=True)
        found = data(answer, "shipments")
        if len(found["edges"]) != expected:
            raise BenchError(f"{chosen.name}: {len(found['edges'])} edges, expected {expected}")

    return call


def typename(env: Deployment) -> Call:
    at = graphql_at(env.gateway)

    async def call() -> None:
        data(await gql(env.http, at, TYPENAME, {}, TENANT), "__typename")

    return call


async def check_read(env: Deployment, n: int) -> None:
    """One seeded shipment read whole through the gateway: the documents decode."""
    variables = {"id": shipment_id_of(n)}
    found = data(await gql(env.http, graphql_at(env.gateway), GET, variables, TENANT), "shipment")
    if found["reference"] != reference_of(n):
        raise BenchError(f"read {found['id']}: reference {found['reference']}")


# --- plans ---------------------------------------------------------------------


def plan_nodes(node: dict[str, Any]) -> list[str]:
    """A plan's nodes, outermost first: type, the index or table, actual rows."""
    label = node["Node Type"]
    if "Index Name" in node:
        label += f" {node['Index Name']}"
    elif "Relation Name" in node:
        label += f" {node['Relation Name']}"
    label += f" ({node.get('Actual Rows', '?')} rows)"
    found = [label]
    for child in node.get("Plans", []):
        found += plan_nodes(child)
    return found


async def explain(url: str, chosen: ShipmentFilter) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement(s) store.list sends for ``chosen``."""
    store = SqlShipmentStore.from_url(url)
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, tuple(parameters)))

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await store.list(TENANT, FIRST, filter=chosen)
    finally:
        await store.aclose()
    lines = []
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for statement, parameters in sent:
            raw = await connection.fetchval(
                f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}", *parameters
            )
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            top = plan["Plan"]
            hit, read = top.get("Shared Hit Blocks", 0), top.get("Shared Read Blocks", 0)
            lines.append(
                f"{' > '.join(plan_nodes(top))};"
                f" {plan['Execution Time']:.2f} ms, buffers hit {hit} read {read}"
            )
    finally:
        await connection.close()
    return " | ".join(lines)


# --- the benchmark -------------------------------------------------------------


def size_name(rows: int) -> str:
    return f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}M"


async def run(database: PostgresServer | None) -> list[Target]:
    if database is None:
        return []
    small_url, big_url = fresh_database(database), fresh_database(database)
    seeded = [await seed(small_url, SMALL), await seed(big_url, BIG)]
    async with AsyncExitStack() as exits:
        # poll_s=0: the seeded leases are months old, so every active shipment would be
        # due at once and the tracking poller would keep the gateway polling Envio.
        small = await exits.enter_async_context(deployment(database=small_url, poll_s=0))
        big = await exits.enter_async_context(deployment(database=big_url, poll_s=0))
        assert small is not None and big is not None
        await check_read(small, SMALL // 2)
        await check_read(big, BIG // 2)
        search = await has_search(big)
        chosen = filters(search)
        calls: dict[str, Call] = {}
        for one in chosen:
            expect_big = 1 if one.name == "reference" else FIRST
            calls[f"{one.name} {size_name(SMALL)}"] = listing(small, one, one.expect_small)
            calls[f"{one.name} {size_name(BIG)}"] = listing(big, one, expect_big)
        calls[f"no filter {size_name(BIG)}"] = listing(
            big, Filter("no filter", {}, ShipmentFilter(), FIRST), FIRST
        )
        calls[f"{{ __typename }} {size_name(BIG)}"] = typename(big)
        found: dict[str, Latency] = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
    plans = {one.name: await explain(big_url, one.store) for one in chosen}
    section(
        f"scale: shipments(first: {FIRST}, filter) on one tenant with {SMALL} and with {BIG}"
        f" shipments (PostgreSQL, one gateway each); {ROUNDS} alternating rounds after"
        f" {WARMUP} warm-up"
    )
    for one in seeded:
        print(
            f"scale    seeded {one.rows:>9} rows in {one.seconds:6.1f} s"
            f" ({one.rows / one.copy_seconds:7.0f} rows/s by COPY in {one.copy_seconds:.1f} s;"
            f" indexes {one.index_seconds:.1f} s; ANALYZE {one.analyze_seconds:.1f} s);"
            f" shipments {one.table_mb:.0f} MB with indexes"
        )
    if not search:
        print("         note: ShipmentFilter has no `search` in this schema: search prefix skipped")
    targets = []
    for one in chosen:
        low = found[f"{one.name} {size_name(SMALL)}"]
        high = found[f"{one.name} {size_name(BIG)}"]
        ratio = high.p50_ms / low.p50_ms
        print(
            f"scale    {one.name:<14} {size_name(SMALL)} p50 {low.p50_ms:6.2f} ms"
            f" p99 {low.p99_ms:6.2f} ms   {size_name(BIG)} p50 {high.p50_ms:6.2f} ms"
            f" p99 {high.p99_ms:6.2f} ms   ratio p50 {size_name(BIG)} / {size_name(SMALL)}"
            f" {ratio:5.2f}x"
        )
        targets.append(at_most("scale", f"{one.name} p50 ms at {size_name(BIG)}", high.p50_ms, 5))
        targets.append(
            at_most("scale", f"{one.name} p50 {size_name(BIG)} / {size_name(SMALL)}", ratio, 2)
        )
    for name in FLOORS:
        one = found[f"{name} {size_name(BIG)}"]
        print(
            f"scale    {name:<14} {size_name(BIG)} p50 {one.p50_ms:6.2f} ms"
            f" p99 {one.p99_ms:6.2f} ms   (the same gateway, same rounds: a floor for the filters)"
        )
    print(f"         EXPLAIN (ANALYZE, BUFFERS) of the store's SQL at {size_name(BIG)}:")
    for name, plan in plans.items():
        print(f"         {name:<14} {plan}")
    return targets
