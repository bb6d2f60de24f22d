"""Lists: the page of 100 shipments a dashboard shows, through the gateway, against a
plain Starlette endpoint returning the same rows as JSON from the same PostgreSQL
database (bench/plain.py ``GET /page``).

A tenant gets 120 Envio bookings; then, in alternating rounds:

- ``dashboard page``: ``shipments(first: 100)`` selecting exactly the dashboard's
  fields (id, status, tracking number, reference, created, the origin's and the
  destination's city and country, the parcels' weight), as a dashboard asks it again
  and again: answered from the response cache once the listing's index and version
  column say its page is unchanged (one query, no document read);
- ``dashboard, no-cache``: the same with ``Cache-Control: no-cache``: the store
  reads and decodes the 100 documents and GraphQL executes the page every time;
- ``plain page``: ``GET /page``: one SELECT of the newest 100 documents on an
  asyncpg pool, each decoded with ``json.loads``, the same fields picked, the list
  encoded with ``json.dumps``;
- ``shipment(id)`` of one of them through the same gateway;
- ``store.list direct``: ``SqlShipmentStore.list(tenant, 100)`` called from this
  process (the store's own cost: the query and decoding 101 shipments, without
  GraphQL or HTTP);
- ``graphql-core alone``: a floor for any GraphQL server on graphql-core: the same
  query executed in this process by graphql-core's own executor (no Strawberry, no
  HTTP, no database) on a schema of just these fields whose resolvers read the plain
  page's 100 rows as dicts, the result encoded with ``json.dumps``.

The two pages are checked once to hold the same shipments in the same order. The
SQL statements of one ``store.list`` call are counted on its engine.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from graphql import build_schema, execute, parse
from sqlalchemy import event
from tests.integration.operations import GET

from bench.common import NO_CACHE, BenchError, auth, book, data, gql, graphql_at
from bench.deploy import Deployment
from bench.http import Endpoint
from bench.measure import Call, Latency, latencies
from bench.report import Target, at_most, section
from shipgraph.store.sql import SqlShipmentStore

TENANT = "globex"
SHIPMENTS = 120
PAGE = 100
ROUNDS = 200
WARMUP = 10
BOOKING_AT_ONCE = 8

DASHBOARD_QUERY = """
query Dashboard($first: Int) {
  shipments(first: $first) {
    edges {
      node {
        id
        status
        trackingNumber
        reference
        createdAt
        origin { city countryCode }
        destination { city countryCode }
        parcels { weightKg }
      }
    }
  }
}
"""

DASHBOARD = "dashboard page"
UNCACHED = "dashboard, no-cache"
PLAIN = "plain page"
READ = "shipment(id)"
STORE = "store.list direct"
FLOOR = "graphql-core alone"

FLOOR_SDL = """
type Query { shipments(first: Int): Connection! }
type Connection { edges: [Edge!]! }
type Edge { node: Shipment! }
type Address { city: String countryCode: String! }
type Parcel { weightKg: Float! }
type Shipment {
  id: ID! status: String! trackingNumber: String reference: String! createdAt: String!
  origin: Address! destination: Address! parcels: [Parcel!]!
}
"""


async def fill(env: Deployment) -> str:
    """Book SHIPMENTS for TENANT; the id of one of them."""
    at = graphql_at(env.gateway)
    gate = asyncio.Semaphore(BOOKING_AT_ONCE)

    async def one(n: int) -> str:
        async with gate:
            return (await book(env.http, at, f"BENCH-LIST-{n}", TENANT)).shipment_id

    return (await asyncio.gather(*(one(n) for n in range(SHIPMENTS))))[0]


async def dashboard_ids(env: Deployment) -> list[str]:
    at = graphql_at(env.gateway)
    found = data(await gql(env.http, at, DASHBOARD_QUERY, {"first": PAGE}, TENANT), "shipments")
    return [edge["node"]["id"] for edge in found["edges"]]


def dashboard(env: Deployment, *, cached: bool = True) -> Call:
    at = graphql_at(env.gateway)
    headers = auth(TENANT) if cached else {**auth(TENANT), **NO_CACHE}
    operation = {"query": DASHBOARD_QUERY, "variables": {"first": PAGE}}

    async def call() -> None:
        found = data((await env.http.post_json(at, headers, operation)).json(), "shipments")
        if len(found["edges"]) != PAGE:
            raise BenchError(f"shipments(first: {PAGE}) gave {len(found['edges'])} edges")

    return call


async def plain_rows(env: Deployment) -> list[dict[str, Any]]:
    assert env.plain is not None
    answer = await env.http.get(Endpoint.of(f"{env.plain.url}/page", {"tenant": TENANT}), {})
    if answer.status != 200:
        raise BenchError(f"plain page answered {answer.status}: {answer.body[:200]!r}")
    rows: list[dict[str, Any]] = answer.json()
    return rows


def plain(env: Deployment) -> Call:
    assert env.plain is not None
    at = Endpoint.of(f"{env.plain.url}/page", {"tenant": TENANT})

    async def call() -> None:
        answer = await env.http.get(at, {})
        if answer.status != 200 or answer.body.count(b'"trackingNumber"') != PAGE:
            raise BenchError(f"plain page answered {answer.status}: {answer.body[:200]!r}")

    return call


def graphql_floor(rows: list[dict[str, Any]]) -> Call:
    schema, document = build_schema(FLOOR_SDL), parse(DASHBOARD_QUERY)
    root = {"shipments": {"edges": [{"node": row} for row in rows]}}

    async def call() -> None:
        result = execute(schema, document, root, variable_values={"first": PAGE})
        if result.errors or result.data is None:
            raise BenchError(f"graphql-core alone: {result.errors}")
        json.dumps(result.data)

    return call


def read(env: Deployment, shipment_id: str) -> Call:
    at = graphql_at(env.gateway)
    variables = {"id": shipment_id}

    async def call() -> None:
        data(await gql(env.http, at, GET, variables, TENANT), "shipment")

    return call


def direct(store: SqlShipmentStore) -> Call:
    async def call() -> None:
        found = await store.list(TENANT, PAGE)
        if len(found.shipments) != PAGE:
            raise BenchError(f"store.list gave {len(found.shipments)} shipments")

    return call


async def statements(store: SqlShipmentStore) -> list[str]:
    """The SQL statements one ``store.list(TENANT, PAGE)`` sends."""
    sent: list[str] = []

    def seen(*args: Any) -> None:
        sent.append(" ".join(str(args[2]).split()))

    event.listen(store.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await direct(store)()
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", seen)
    return sent


async def run(env: Deployment) -> list[Target]:
    sample = await fill(env)
    gateway_ids = await dashboard_ids(env)
    rows = await plain_rows(env)
    plain_ids = [row["id"] for row in rows]
    if gateway_ids != plain_ids:
        raise BenchError("the gateway's page and the plain page differ")
    store = SqlShipmentStore.from_url(env.database)
    try:
        calls = {DASHBOARD: dashboard(env), PLAIN: plain(env), READ: read(env, sample)}
        calls[UNCACHED] = dashboard(env, cached=False)
        calls[STORE] = direct(store)
        calls[FLOOR] = graphql_floor(rows)
        found: dict[str, Latency] = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
        sent = await statements(store)
    finally:
        await store.aclose()
    section(
        f"lists: shipments(first: {PAGE}) with the dashboard's fields, on a tenant with"
        f" {SHIPMENTS} shipments (PostgreSQL); {ROUNDS} alternating rounds after {WARMUP} warm-up"
    )
    page = found[DASHBOARD]
    for name in (DASHBOARD, PLAIN, UNCACHED, READ, STORE, FLOOR):
        one = found[name]
        ratio = page.p50_ms / one.p50_ms
        versus = "" if name == DASHBOARD else f"  ratio p50 dashboard / this {ratio:6.2f}x"
        print(f"lists    {name:<22} p50 {one.p50_ms:6.2f} ms  p99 {one.p99_ms:6.2f} ms{versus}")
    print(f"         SQL statements per store.list: {len(sent)}")
    for statement in sent:
        print(f"           {statement[:160]}")
    floor = found[FLOOR].p50_ms / found[PLAIN].p50_ms
    print(f"         floor: graphql-core alone / plain page p50 {floor:5.2f}x")
    uncached = found[UNCACHED].p50_ms / found[PLAIN].p50_ms
    print(f"         dashboard, no-cache / plain page p50 {uncached:5.2f}x (no bar; for context)")
    ratio = page.p50_ms / found[PLAIN].p50_ms
    return [at_most("lists", "dashboard page p50 / plain page p50", ratio, 1.5)]
