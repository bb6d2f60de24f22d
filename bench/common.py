"""What the benchmarks share: GraphQL calls as a tenant, bookings, a private Redis and a
private PostgreSQL."""

from __future__ import annotations

import os
import shutil
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from tests.integration.operations import CREATE, create_input
from tests.support.postgres_server import PostgresServer, find_bindir, start_postgres_server
from tests.support.redis_server import RedisServer, start_redis_server
from tests.support.stack import KEYS

from bench.http import Endpoint, Http
from shipgraph.store.sql import upgrade


class BenchError(RuntimeError):
    """A measured call did not succeed: its timing would be meaningless."""


@dataclass(frozen=True, slots=True)
class Booked:
    shipment_id: str
    tracking_number: str


def auth(tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[tenant]}"}


def graphql_at(base_url: str) -> Endpoint:
    return Endpoint.of(f"{base_url}/graphql")


NO_CACHE = {"Cache-Control": "no-cache"}
"""Run the operation, not the response cache's kept answer."""


async def gql(
    http: Http,
    at: Endpoint,
    query: str,
    variables: dict[str, Any],
    tenant: str = "acme",
    *,
    fresh: bool = False,
) -> dict[str, Any]:
    """POST a GraphQL operation as ``tenant``; the whole JSON body. ``fresh``: with
    Cache-Control: no-cache."""
    headers = {**auth(tenant), **NO_CACHE} if fresh else auth(tenant)
    answer = await http.post_json(at, headers, {"query": query, "variables": variables})
    body: dict[str, Any] = answer.json()
    return body


def data(body: dict[str, Any], field: str) -> Any:
    """``data[field]`` of an answer without errors, or BenchError."""
    found = (body.get("data") or {}).get(field)
    if body.get("errors") or found is None:
        raise BenchError(f"{field} failed: {str(body)[:500]}")
    return found


def created(body: dict[str, Any]) -> dict[str, Any]:
    """The booked shipment of a createShipment answer, or BenchError."""
    payload = (body.get("data") or {}).get("createShipment") or {}
    shipment = payload.get("shipment")
    if body.get("errors") or payload.get("userErrors") or not isinstance(shipment, dict):
        raise BenchError(f"createShipment failed: {body}")
    return shipment


async def book(http: Http, at: Endpoint, reference: str, tenant: str = "acme") -> Booked:
    """An Envio booking (the integration tests' ``create_input``) as ``tenant``."""
    shipment = created(await gql(http, at, CREATE, create_input(reference), tenant))
    return Booked(shipment["id"], shipment["trackingNumber"])


def private_redis(exits: AsyncExitStack, purpose: str) -> RedisServer | None:
    """A redis-server started for this run (stopped on exit), or None after printing
    why ``purpose`` is skipped. Never the machine's own Redis."""
    if shutil.which("redis-server") is None:
        print(f"\nnote: redis-server is not installed; {purpose} skipped")
        return None
    try:
        server = start_redis_server()
    except RuntimeError as error:
        print(f"\nnote: {purpose} skipped: {error}")
        return None
    exits.callback(server.stop)
    return server


TEMPLATE = "bench_template"
"""The database every benchmark database is copied from: migrated once per run."""


async def private_postgres(
    exits: AsyncExitStack, purpose: str, durable: bool = False
) -> PostgresServer | None:
    """A PostgreSQL started for this run (tests.support.postgres_server: initdb in a
    temporary folder, in memory unless ``durable``, a free loopback port; stopped and
    removed on exit) with a migrated template database, or None after printing why
    ``purpose`` is skipped. Never the machine's own PostgreSQL."""
    try:
        find_bindir()
        server = start_postgres_server(durable=durable)
    except RuntimeError as error:
        print(f"\nnote: {purpose} skipped: {error}")
        return None
    exits.callback(server.stop)
    template = server.create_database(TEMPLATE)
    await upgrade(template)  # disposes of its engine: the template has no connection left
    return server


def fresh_database(server: PostgresServer) -> str:
    """A new database at the schema's head (a copy of the template); its URL."""
    return server.create_database(template=TEMPLATE)


def postmaster_pid(server: PostgresServer) -> int:
    """The running postmaster's PID (the first line of its postmaster.pid)."""
    return int((server.data_directory / "postmaster.pid").read_text().split()[0])


def postgres_cpu_s(server: PostgresServer) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster, its live
    processes (backends, writers) and the children it has waited for (Linux /proc)."""
    root = postmaster_pid(server)
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        pid, parent = int(entry.name), int(fields[1])
        if pid == root:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif parent == root:
            total += int(fields[11]) + int(fields[12])
    return total / tick
