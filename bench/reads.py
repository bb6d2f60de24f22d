"""Reads: ``shipment(id)`` through the gateway against a plain Starlette endpoint that
returns the same stored JSON from the same PostgreSQL database (bench/plain.py), both
served by uvicorn in their own process the way `shipgraph serve` runs (uvloop,
httptools).

The gateway authenticates, parses and validates the query, reads the shipment
through its store (SQLAlchemy Core on asyncpg), decodes it and serialises the fields
asked for (all those the integration tests ask for); a repeated read is answered
from its response cache after one query of the shipment's version. The plain
endpoint does one ``SELECT document`` on an asyncpg pool and returns the bytes; the
same endpoint through SQLAlchemy Core (as the store runs it, the statement built once)
is a floor: what the issue's stack costs before any GraphQL, authentication or cache.
Throughput: 20 concurrent keep-alive clients (bench/http.py) in rounds alternating
between the two; the CPU each server, PostgreSQL and the client used shows which side
was the bottleneck.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
from tests.integration.operations import GET
from tests.support.postgres_server import PostgresServer

from bench.common import BenchError, book, data, gql, graphql_at, postgres_cpu_s
from bench.deploy import Deployment
from bench.http import Endpoint
from bench.measure import Call, Latency, drive, latencies, rotated
from bench.plain import SHIPMENT, asyncpg_dsn
from bench.procs import Child
from bench.report import Target, at_least, section
from shipgraph.store.sql import SqlShipmentStore

ROUNDS = 200
WARMUP = 20
CLIENTS = 20
REQUESTS = 4_000
THROUGHPUT_ROUNDS = 4

GATEWAY = "gateway shipment(id)"
PLAIN = "plain SELECT by id"
CORE = "plain via SQLAlchemy"


@dataclass
class Load:
    """One subject's throughput rounds: requests, wall time, CPU of server and client."""

    requests: int = 0
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.wall_s

    def busy(self) -> str:
        server, database, client = (
            100 * cpu / self.wall_s
            for cpu in (self.server_cpu_s, self.database_cpu_s, self.client_cpu_s)
        )
        return (
            f"CPU server {server:3.0f} %  postgres {database:3.0f} %"
            f"  client {client:3.0f} % of a core"
        )


def gateway_read(env: Deployment, shipment_id: str) -> Call:
    at = graphql_at(env.gateway)
    variables = {"id": shipment_id}

    async def call() -> None:
        data(await gql(env.http, at, GET, variables), "shipment")

    return call


def plain_read(env: Deployment, shipment_id: str, path: str = "/shipment") -> Call:
    assert env.plain is not None
    at = Endpoint.of(f"{env.plain.url}{path}/{shipment_id}", {"tenant": "acme"})
    wanted = shipment_id.encode()

    async def call() -> None:
        answer = await env.http.get(at, {})
        if answer.status != 200 or wanted not in answer.body:
            raise BenchError(f"plain read answered {answer.status}: {answer.body[:200]!r}")

    return call


async def loads(
    calls: dict[str, Call], servers: dict[str, Child], database: PostgresServer
) -> dict[str, Load]:
    found = {name: Load() for name in calls}
    per_round = REQUESTS // THROUGHPUT_ROUNDS
    for call in calls.values():  # opens the connections
        await drive(call, clients=CLIENTS, requests=CLIENTS)
    for turn in range(THROUGHPUT_ROUNDS):
        for name in rotated(list(calls), turn):
            load, server = found[name], servers[name]
            server_cpu, client_cpu = server.cpu_s(), time.process_time()
            database_cpu = postgres_cpu_s(database)
            load.wall_s += await drive(calls[name], clients=CLIENTS, requests=per_round) / 1e9
            load.server_cpu_s += server.cpu_s() - server_cpu
            load.database_cpu_s += postgres_cpu_s(database) - database_cpu
            load.client_cpu_s += time.process_time() - client_cpu
            load.requests += per_round
    return found


def lines(found: dict[str, Latency], load: dict[str, Load]) -> list[str]:
    gateway, plain = found[GATEWAY], found[PLAIN]
    out = []
    for name in (GATEWAY, PLAIN, CORE):
        out.append(f"reads    {name:<22} {load[name].per_second:7.0f} req/s  ({load[name].busy()})")
    base = load[PLAIN].per_second
    out.append(f"         ratio gateway / plain  {load[GATEWAY].per_second / base:5.3f}x")
    out.append(
        f"         floor: plain via SQLAlchemy / plain  {load[CORE].per_second / base:5.3f}x"
        " (the issue's stack, before GraphQL, authentication or cache)"
    )
    for name, one in ((GATEWAY, gateway), (PLAIN, plain), (CORE, found[CORE])):
        out.append(
            f"         {name:<22} one at a time p50 {one.p50_ms:6.2f} ms  p99 {one.p99_ms:6.2f} ms"
        )
    out.append(f"         ratio p50 gateway / plain  {gateway.p50_ms / plain.p50_ms:5.2f}x")
    return out


STORE_AS_BUILT = "store.get, as the app"
ASYNCPG = "asyncpg fetchval"


async def store_reads(url: str, shipment_id: str) -> dict[str, Latency]:
    """One read of the shipment from this process: through SqlShipmentStore as the
    app builds it (no pre-ping, reads in autocommit: one round trip), and asyncpg
    alone."""
    async with AsyncExitStack() as exits:
        calls: dict[str, Call] = {}
        store = SqlShipmentStore.from_url(url, pool_size=4, max_overflow=0)
        exits.push_async_callback(store.aclose)
        calls[STORE_AS_BUILT] = store_get(store, shipment_id)
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=4, max_size=4)
        exits.push_async_callback(pool.close)

        async def fetch() -> None:
            if await pool.fetchval(SHIPMENT, "acme", shipment_id) is None:
                raise BenchError("asyncpg found no shipment")

        calls[ASYNCPG] = fetch
        return await latencies(calls, rounds=ROUNDS, warmup=WARMUP)


def store_get(store: SqlShipmentStore, shipment_id: str) -> Call:
    async def call() -> None:
        if await store.get("acme", shipment_id) is None:
            raise BenchError("store.get found no shipment")

    return call


async def run(env: Deployment, database: PostgresServer) -> list[Target]:
    assert env.plain is not None
    target = await book(env.http, graphql_at(env.gateway), "BENCH-READ")
    calls = {
        GATEWAY: gateway_read(env, target.shipment_id),
        PLAIN: plain_read(env, target.shipment_id),
        CORE: plain_read(env, target.shipment_id, "/sqlalchemy/shipment"),
    }
    found = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
    servers = {GATEWAY: env.gateways[0], PLAIN: env.plain, CORE: env.plain}
    load = await loads(calls, servers, database)
    section(
        f"reads: {ROUNDS} one at a time, alternating; then {CLIENTS} concurrent clients,"
        f" {REQUESTS} requests each in {THROUGHPUT_ROUNDS} alternating rounds"
    )
    for line in lines(found, load):
        print(line)
    direct = await store_reads(env.database, target.shipment_id)
    base = direct[ASYNCPG]
    print("         the same read from this process, alternating (where the gateway's time goes):")
    for name, one in direct.items():
        ratio = "" if name == ASYNCPG else f"  ratio p50 / asyncpg {one.p50_ms / base.p50_ms:5.2f}x"
        print(f"         {name:<22} p50 {one.p50_ms:6.3f} ms  p99 {one.p99_ms:6.3f} ms{ratio}")
    ratio = load[GATEWAY].per_second / load[PLAIN].per_second
    return [at_least("reads", "req/s gateway / plain", ratio, 0.5)]
