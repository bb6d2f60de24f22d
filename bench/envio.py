"""Envio through the gateway against Envio called directly, over loopback HTTP.

The gateway, the Envio simulator and the client all run in this process and
share one event loop (tests.support.stack); each comparison alternates subject
and baseline in rounds so that machine noise affects both alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import AsyncExitStack
from typing import Any

from tests.integration.operations import CREATE, DELIVER_BY, GET, PICKUP_AT, create_input
from tests.support.postgres_server import PostgresServer
from tests.support.stack import Stack, running_stack

from bench.common import BenchError, Booked, created, fresh_database, gql, graphql_at
from bench.common import book as book_at
from bench.http import Answer, Endpoint, Http
from bench.measure import Call, Latency, Throughput, latencies, throughputs
from bench.report import LatencyRow, ThroughputRow, section, show
from shipgraph.sandbox.mounts import ENVIO_API_KEY

ROUNDS = 200
WARMUP = 20
CLIENTS = 20
REQUESTS = 1_000
THROUGHPUT_ROUNDS = 4

ENVIO_AUTH = {"Authorization": ENVIO_API_KEY}

MEMORY = "gateway (memory)"
"""The store on a SQLite database in the gateway's memory (as `shipgraph dev`)."""
POSTGRES = "gateway (postgres)"
"""The store on the run's private PostgreSQL (as production)."""
DIRECT_CREATE = "direct Envio"
DIRECT_TRACK = "direct tracking"


def envio_create_body(ref_code: str) -> dict[str, Any]:
    """The POST /distribution body the gateway builds from ``create_input`` (checked
    byte for byte against the gateway's request when this benchmark was written)."""
    return {
        "ref_code": ref_code,
        "cod_value": 23000,
        "pickup_address": {
            "name": "Gudang Kosambi",
            "contact_person": "Budi Santoso",
            "phone_number": "628767438745",
            "address": "Jl. Raya Perancis No. 17",
            "province": "Banten",
            "regency": "Kabupaten Tangerang",
            "district": "Kosambi",
            "village": "Belimbing",
            "latitude": -6.0925,
            "longitude": 106.7037,
        },
        "recipient": {
            "contact_person": "Sapta Apriyana",
            "phone_number": "6285156701828",
            "address": "Jl. Pengadegan Utara No. 1",
            "province": "DKI Jakarta",
            "regency": "Jakarta Selatan",
            "district": "Pancoran",
            "village": "Cikoko",
        },
        "items": [
            {
                "item_name": "Air Mineral 300 ML",
                # Floats, as the gateway sends them: the same bytes on the wire.
                "quantity": 1.0,
                "long": 10.0,
                "high": 20.0,
                "wide": 30.0,
                "item_code": "2192x127y",
                "weight": 1.2,
                "unit_price": 12500,
            }
        ],
        "eta_at": DELIVER_BY,
        "etd_at": PICKUP_AT,
    }


def references(prefix: str) -> Iterator[str]:
    return (f"{prefix}-{n}" for n in itertools.count(1))


def envio_data(answer: Answer) -> dict[str, Any]:
    """The ``data`` of an Envio success answer, or BenchError."""
    body = answer.json() if answer.status == 200 else {}
    if body.get("message") != "success" or not isinstance(body.get("data"), dict):
        raise BenchError(f"Envio answered {answer.status}: {answer.body[:200]!r}")
    data: dict[str, Any] = body["data"]
    return data


def graphql(stack: Stack) -> Endpoint:
    return graphql_at(stack.gateway)


async def book(http: Http, stack: Stack, reference: str) -> Booked:
    return await book_at(http, graphql(stack), reference)


def gateway_booking(http: Http, stack: Stack) -> Call:
    refs = references("BENCH-GW")
    at = graphql(stack)

    async def call() -> None:
        created(await gql(http, at, CREATE, create_input(next(refs))))

    return call


def direct_booking(http: Http, stack: Stack) -> Call:
    refs = references("BENCH-DIRECT")
    distribution = Endpoint.of(f"{stack.envio}/distribution")

    async def call() -> None:
        body = envio_create_body(next(refs))
        envio_data(await http.post_json(distribution, ENVIO_AUTH, body))

    return call


def gateway_read(http: Http, stack: Stack, shipment_id: str) -> Call:
    variables = {"id": shipment_id}
    at = graphql(stack)

    async def call() -> None:
        body = await gql(http, at, GET, variables)
        if body.get("errors") or not (body.get("data") or {}).get("shipment"):
            raise BenchError(f"shipment(id) failed: {body}")

    return call


def direct_track(http: Http, stack: Stack, code: str) -> Call:
    tracking = Endpoint.of(f"{stack.envio}/tracking/distribution", {"code": code})

    async def call() -> None:
        envio_data(await http.get(tracking, ENVIO_AUTH))

    return call


async def booking(http: Http, stack: Stack) -> list[LatencyRow]:
    calls = {MEMORY: gateway_booking(http, stack), DIRECT_CREATE: direct_booking(http, stack)}
    found = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
    return [LatencyRow("booking", MEMORY, found[MEMORY], DIRECT_CREATE, found[DIRECT_CREATE])]


def pairs(names: list[str]) -> list[tuple[str, str]]:
    """(subject, baseline) of each figure printed for the reads."""
    found = [(MEMORY, DIRECT_TRACK)]
    if POSTGRES in names:
        found += [(POSTGRES, MEMORY), (POSTGRES, DIRECT_TRACK)]
    return found


async def read_latency(calls: dict[str, Call]) -> list[LatencyRow]:
    found: dict[str, Latency] = await latencies(calls, rounds=ROUNDS, warmup=WARMUP)
    return [LatencyRow("read", s, found[s], b, found[b]) for s, b in pairs(list(calls))]


async def read_throughput(calls: dict[str, Call]) -> list[ThroughputRow]:
    found: dict[str, Throughput] = await throughputs(
        calls, clients=CLIENTS, requests=REQUESTS, rounds=THROUGHPUT_ROUNDS
    )
    return [ThroughputRow("read", s, found[s], b, found[b]) for s, b in pairs(list(calls))]


async def read_calls(
    http: Http, memory: Stack, postgres: Stack | None, read_target: Booked
) -> dict[str, Call]:
    calls = {
        MEMORY: gateway_read(http, memory, read_target.shipment_id),
        DIRECT_TRACK: direct_track(http, memory, read_target.tracking_number),
    }
    if postgres is not None:
        target = await book(http, postgres, "BENCH-READ")
        calls[POSTGRES] = gateway_read(http, postgres, target.shipment_id)
    return calls


async def run(database: PostgresServer | None) -> None:
    """``database``: the run's PostgreSQL (None: the memory rows only)."""
    async with AsyncExitStack() as exits:
        postgres = None
        if database is not None:
            stack = running_stack(database_url=fresh_database(database))
            postgres = await exits.enter_async_context(stack)
        memory = await exits.enter_async_context(running_stack())
        # One client for every subject and baseline, so all pay the same client costs.
        http = Http()
        exits.push_async_callback(http.aclose)
        # Booked first, so the simulator's tracking lookup (a linear scan) finds it first.
        read_target = await book(http, memory, "BENCH-READ")

        section(
            f"latency: {ROUNDS} sequential calls each after {WARMUP} warm-up, in alternating"
            " rounds\n(ratio = left / right; above 1x the left one is slower)"
        )
        show(await booking(http, memory))
        calls = await read_calls(http, memory, postgres, read_target)
        show(await read_latency(calls))

        section(
            f"throughput: {CLIENTS} concurrent clients, {REQUESTS} requests each, in"
            f" {THROUGHPUT_ROUNDS} alternating rounds\n(ratio = left / right; below 1x the"
            " left one serves fewer requests per second)"
        )
        show(await read_throughput(calls))
