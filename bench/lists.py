"""Lists: ``shipments(first: 100)`` on a tenant with 120 shipments in the Redis store.

Latency of the page (edges with id, reference, status; pageInfo) alternates with two
baselines: ``shipment(id)`` of one of those shipments through the same gateway, and
``RedisShipmentStore.list(tenant, 100)`` called directly from this process (the
store's own cost: Redis round trips and decoding 101 shipments, without GraphQL or
HTTP). Redis commands per page are counted on the private redis-server with
``CONFIG RESETSTAT`` then ``INFO commandstats`` around a batch of pages (our own INFO
and CONFIG left out).
"""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio import Redis
from tests.integration.operations import GET, LIST

from bench.common import BenchError, book, data, gql, graphql_at
from bench.deploy import Deployment
from bench.measure import Call, Latency, latencies
from bench.report import Target, section
from shipgraph.store.redis import RedisShipmentStore

TENANT = "globex"
SHIPMENTS = 120
PAGE = 100
ROUNDS = 200
WARMUP = 10
COUNTED = 20
"""Pages (and reads) whose Redis commands are counted."""
BOOKING_AT_ONCE = 8

LISTED = f"shipments(first: {PAGE})"
READ = "shipment(id)"
STORE = "store.list direct"


async def fill(env: Deployment) -> str:
    """Book SHIPMENTS for TENANT; the id of one of them."""
    at = graphql_at(env.gateway)
    gate = asyncio.Semaphore(BOOKING_AT_ONCE)

    async def one(n: int) -> str:
        async with gate:
            return (await book(env.http, at, f"BENCH-LIST-{n}", TENANT)).shipment_id

    return (await asyncio.gather(*(one(n) for n in range(SHIPMENTS))))[0]


def page(env: Deployment) -> Call:
    at = graphql_at(env.gateway)
    variables = {"first": PAGE}

    async def call() -> None:
        found = data(await gql(env.http, at, LIST, variables, TENANT), "shipments")
        if len(found["edges"]) != PAGE or not found["pageInfo"]["hasNextPage"]:
            raise BenchError(f"shipments(first: {PAGE}) gave {len(found['edges'])} edges")

    return call


def read(env: Deployment, shipment_id: str) -> Call:
    at = graphql_at(env.gateway)
    variables = {"id": shipment_id}

    async def call() -> None:
        data(await gql(env.http, at, GET, variables, TENANT), "shipment")

    return call


def direct(store: RedisShipmentStore) -> Call:
    async def call() -> None:
        found = await store.list(TENANT, PAGE)
        if len(found.shipments) != PAGE:
            raise BenchError(f"store.list gave {len(found.shipments)} shipments")

    return call


async def commands(redis: Redis, call: Call, times: int) -> Counter[str]:
    """Redis commands per call of ``call`` (averaged over ``times`` calls)."""
    await redis.config_resetstat()
    for _ in range(times):
        await call()
    stats = await redis.info("commandstats")
    counts: Counter[str] = Counter()
    for name, figures in stats.items():
        command = name.removeprefix("cmdstat_")
        if command.split("|")[0] not in ("info", "config"):
            counts[command] = figures["calls"]
    return counts


def per_call(counts: Counter[str], times: int) -> str:
    total = sum(counts.values()) / times
    each = ", ".join(f"{name} {n / times:g}" for name, n in sorted(counts.items()))
    return f"{total:g} ({each})"


async def run(env: Deployment) -> list[Target]:
    assert env.redis is not None
    sample = await fill(env)
    store = RedisShipmentStore.from_url(env.redis.url)
    redis = Redis.from_url(env.redis.url)
    try:
        calls = {LISTED: page(env), READ: read(env, sample), STORE: direct(store)}
        found: dict[str, Latency] = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
        listed = await commands(redis, calls[LISTED], COUNTED)
        single = await commands(redis, calls[READ], COUNTED)
    finally:
        await store.aclose()
        await redis.aclose()
    section(
        f"lists: {LISTED} on a tenant with {SHIPMENTS} shipments (Redis store);"
        f" {ROUNDS} alternating rounds after {WARMUP} warm-up"
    )
    listing = found[LISTED]
    for name in (LISTED, READ, STORE):
        one = found[name]
        ratio = listing.p50_ms / one.p50_ms
        versus = "" if name == LISTED else f"  ratio p50 page / this {ratio:6.2f}x"
        print(f"lists    {name:<22} p50 {one.p50_ms:6.2f} ms  p99 {one.p99_ms:6.2f} ms{versus}")
    print(f"         Redis commands per page {per_call(listed, COUNTED)}")
    print(f"         Redis commands per shipment(id) {per_call(single, COUNTED)}")
    return []  # the issue sets no bar for lists
