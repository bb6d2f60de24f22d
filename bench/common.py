"""What the benchmarks share: GraphQL calls as a tenant, bookings, a private Redis."""

from __future__ import annotations

import shutil
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from tests.integration.operations import CREATE, create_input
from tests.support.redis_server import RedisServer, start_redis_server
from tests.support.stack import KEYS

from bench.http import Endpoint, Http


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


async def gql(
    http: Http, at: Endpoint, query: str, variables: dict[str, Any], tenant: str = "acme"
) -> dict[str, Any]:
    """POST a GraphQL operation as ``tenant``; the whole JSON body."""
    answer = await http.post_json(at, auth(tenant), {"query": query, "variables": variables})
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
