"""The gateway when carriers or Redis misbehave, driven through the simulators'
fault controls: deadlines, the circuit breaker, Retry-After, bookings without an
answer, and Redis stopped and started mid-run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shipgraph.app import create_app
from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from shipgraph.store.sql import upgrade
from tests.integration.conftest import create
from tests.integration.operations import CREATE, GET, create_input, shipment_input
from tests.support.postgres_server import PostgresServer, start_postgres_server
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.support.stack import KEYS, Backend, Stack, running_stack

RATES = """
query Q($input: RatesInput!) {
  rates(input: $input) {
    rates { carrier service total { amount currency } }
    errors { carrier code message retryable }
  }
}
"""
HEALTH = "{ carriers { code healthy } }"
RESET_S = 1.5


async def fault(stack: Stack, carrier: str, spec: dict[str, Any] | None) -> None:
    """Set (or, with None, clear) the simulator's fault."""
    url = f"{stack.sandbox}/{carrier}/_control/faults"
    response = await (
        stack.http.post(url, json=spec) if spec is not None else stack.http.delete(url)
    )
    assert response.status_code < 300, response.text


async def healthy(stack: Stack, carrier: str) -> bool:
    carriers = (await stack.gql(HEALTH))["data"]["carriers"]
    return bool(next(c["healthy"] for c in carriers if c["code"] == carrier))


# --- deadlines --------------------------------------------------------------------


async def test_a_hung_carrier_delays_a_quote_only_by_the_deadline() -> None:
    deadline_s = 1.0
    async with running_stack(carrier_timeout_s=deadline_s) as stack:
        await fault(stack, "borzo", {"hang": True})
        shipment = shipment_input("SO-R1", description="Documents")
        del shipment["cashOnDelivery"]
        started = time.monotonic()
        body = await stack.gql(
            RATES, {"input": {"shipment": shipment, "carriers": ["BORZO", "ENVOY"]}}
        )
        took = time.monotonic() - started
        answer = body["data"]["rates"]
        assert {rate["carrier"] for rate in answer["rates"]} == {"ENVOY"}
        [error] = answer["errors"]
        assert error["carrier"] == "BORZO" and error["code"] == "CARRIER_UNAVAILABLE"
        assert error["retryable"]
        # The deadline, plus the time Envoy's own quote and the GraphQL round trip take.
        assert deadline_s <= took < deadline_s + 1.0


async def test_429_with_retry_after_is_honoured(stack: Stack) -> None:
    shipment = await create(stack, "SO-429")
    await fault(stack, "envio", {"status": 429, "retry_after_s": 1, "times": 1})
    query = "query T($n: String!) { track(carrier: ENVIO, trackingNumber: $n) { status } }"
    started = time.monotonic()
    body = await stack.gql(query, {"n": shipment["trackingNumber"]})
    assert body["data"]["track"]["status"] == "CREATED", body
    assert time.monotonic() - started >= 1.0  # waited as told, then asked again


# --- bookings without an answer ---------------------------------------------------


async def envio_shipments(stack: Stack, reference: str) -> list[dict[str, Any]]:
    response = await stack.http.get(
        f"{stack.envio}/tracking/distribution",
        params={"code": reference},
        headers={"Authorization": stack.settings.envio_api_key.get_secret_value()},  # type: ignore[union-attr]
    )
    return [response.json()["data"]] if response.status_code == 200 else []


async def test_a_booking_whose_answer_was_lost_is_found_not_booked_again(stack: Stack) -> None:
    await fault(stack, "envio", {"lost_answer": True, "times": 1, "path_prefix": "/distribution"})
    variables = create_input("SO-LOST1", idempotencyKey="lost-1")
    first = (await stack.gql(CREATE, variables))["data"]["createShipment"]
    assert first["userErrors"] == []
    shipment = first["shipment"]
    assert shipment["trackingNumber"] and shipment["status"] == "CREATED"
    again = (await stack.gql(CREATE, variables))["data"]["createShipment"]
    assert again["shipment"]["id"] == shipment["id"]
    assert len(await envio_shipments(stack, "SO-LOST1")) == 1


async def test_a_booking_that_cannot_be_checked_is_reported_then_found_on_retry(
    stack: Stack,
) -> None:
    # The create is carried out but its answer lost, and so is every answer after it.
    await fault(stack, "envio", {"lost_answer": True})
    variables = create_input("SO-LOST2")
    refused = (await stack.gql(CREATE, variables))["data"]["createShipment"]
    assert refused["shipment"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "CARRIER_UNAVAILABLE" and "never books twice" in error["message"]
    await fault(stack, "envio", None)

    retried = (await stack.gql(CREATE, variables))["data"]["createShipment"]
    assert retried["userErrors"] == []
    assert retried["shipment"]["reference"] == "SO-LOST2"
    assert len(await envio_shipments(stack, "SO-LOST2")) == 1
    listing = await stack.gql("{ shipments(first: 10) { edges { node { reference } } } }")
    references = [edge["node"]["reference"] for edge in listing["data"]["shipments"]["edges"]]
    assert references.count("SO-LOST2") == 1


async def test_a_retry_on_another_replica_finds_the_booking_not_books_again(
    migrated_postgres_url: str,
) -> None:
    """The mark "no answer came" is in the database: a replica that shares nothing else
    (no Redis) still checks the carrier before booking the reference again."""
    async with running_stack(database_url=migrated_postgres_url) as stack:
        await fault(stack, "envio", {"lost_answer": True})
        variables = create_input("SO-LOST4")
        refused = (await stack.gql(CREATE, variables))["data"]["createShipment"]
        assert refused["userErrors"][0]["code"] == "CARRIER_UNAVAILABLE"
        await fault(stack, "envio", None)
        other_app = create_app(stack.settings)
        async with serve(other_app) as other, httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                f"{other}/graphql",
                json={"query": CREATE, "variables": variables},
                headers={"Authorization": f"Bearer {KEYS['acme']}"},
            )
        retried = response.json()["data"]["createShipment"]
        assert retried["userErrors"] == []
        assert retried["shipment"]["reference"] == "SO-LOST4"
        assert len(await envio_shipments(stack, "SO-LOST4")) == 1


async def test_a_lost_answer_never_hands_over_another_tenants_booking(stack: Stack) -> None:
    await create(stack, "SO-LOST3", tenant="acme")
    await fault(stack, "envio", {"lost_answer": True, "times": 1, "path_prefix": "/distribution"})
    body = await stack.gql(CREATE, create_input("SO-LOST3"), tenant="globex")
    refused = body["data"]["createShipment"]
    assert refused["shipment"] is None
    assert refused["userErrors"][0]["code"] == "DUPLICATE"
    mine = await stack.gql("{ shipments(first: 5) { edges { node { id } } } }", tenant="globex")
    assert mine["data"]["shipments"]["edges"] == []


# --- circuit breaker --------------------------------------------------------------


@pytest.fixture
async def breaking(backend: Backend) -> AsyncIterator[Stack]:
    # Long enough that a slow CI machine still sees the breaker open before it half-opens.
    async with running_stack(backend, breaker_failures=3, breaker_reset_s=RESET_S) as stack:
        yield stack


async def test_a_flapping_carrier_opens_and_then_closes_its_breaker(breaking: Stack) -> None:
    stack = breaking
    await fault(stack, "envio", {"status": 500})
    for attempt in range(3):
        [error] = (await stack.gql(CREATE, create_input(f"SO-F{attempt}")))["data"][
            "createShipment"
        ]["userErrors"]
        assert error["code"] == "CARRIER_UNAVAILABLE"
    assert not await healthy(stack, "ENVIO")
    assert await healthy(stack, "BORZO")

    # Open: refused at once, without reaching the carrier (which has recovered).
    await fault(stack, "envio", None)
    [error] = (await stack.gql(CREATE, create_input("SO-F3")))["data"]["createShipment"][
        "userErrors"
    ]
    assert error["code"] == "CARRIER_UNAVAILABLE" and "circuit open" in error["message"]
    metrics = (await stack.http.get(f"{stack.gateway}/metrics")).text
    assert 'shipgraph_carrier_circuit_open{carrier="ENVIO"} 1.0' in metrics

    # After the reset time one probe goes through; it succeeds and the circuit closes.
    await asyncio.sleep(RESET_S + 0.1)
    assert await healthy(stack, "ENVIO")
    shipment = await create(stack, "SO-F4")
    assert shipment["status"] == "CREATED"
    await create(stack, "SO-F5")
    assert await healthy(stack, "ENVIO")


async def test_a_failed_probe_opens_the_breaker_again(breaking: Stack) -> None:
    stack = breaking
    await fault(stack, "envio", {"status": 503})
    for attempt in range(3):
        await stack.gql(CREATE, create_input(f"SO-P{attempt}"))
    await asyncio.sleep(RESET_S + 0.1)
    [error] = (await stack.gql(CREATE, create_input("SO-P3")))["data"]["createShipment"][
        "userErrors"
    ]
    assert "circuit open" not in error["message"]  # the probe reached the carrier
    assert not await healthy(stack, "ENVIO")


@pytest.mark.redis
async def test_every_gateway_process_sees_the_open_breaker(redis_url: str) -> None:
    settings = {"breaker_failures": 2, "breaker_reset_s": 30}
    async with (
        running_stack(redis_url=redis_url, **settings) as first,
        running_stack(redis_url=redis_url, **settings) as second,
    ):
        await fault(first, "envio", {"status": 500})
        for attempt in range(2):
            await first.gql(CREATE, create_input(f"SO-S{attempt}"))
        assert not await healthy(second, "ENVIO")
        [error] = (await second.gql(CREATE, create_input("SO-S9")))["data"]["createShipment"][
            "userErrors"
        ]
        assert "circuit open" in error["message"]


# --- the database crashed and started again mid-run -------------------------------


@pytest.fixture
async def durable_postgres() -> AsyncIterator[PostgresServer]:
    """A PostgreSQL of its own (this test crashes it), with production's fsync."""
    server = await asyncio.to_thread(start_postgres_server, durable=True)
    try:
        await upgrade(server.url)
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_database_crashed_mid_run_loses_no_accepted_webhook(
    durable_postgres: PostgresServer,
) -> None:
    """PostgreSQL stopped as a crash would (no checkpoint) while webhooks stream in,
    then started again: every webhook answered 200 is in the shipment."""
    async with running_stack(database_url=durable_postgres.url) as stack:
        shipments = [await create(stack, f"SO-W{number}") for number in range(40)]
        answers: dict[str, list[int]] = {}

        async def deliver(shipment: dict[str, Any]) -> None:
            """As a carrier does: send, and send again until it is accepted."""
            body = {
                "code": f"M-{shipment['reference']}",
                "shipment": {"code": shipment["trackingNumber"], "ref_code": shipment["reference"]},
                "status": "manifested",
            }
            seen = answers.setdefault(shipment["id"], [])
            while not seen or seen[-1] != 200:
                response = await stack.http.post(
                    f"{stack.gateway}/webhooks/envio",
                    params={"token": ENVIO_WEBHOOK_TOKEN},
                    json=body,
                )
                seen.append(response.status_code)
                if response.status_code != 200:
                    await asyncio.sleep(0.05)

        senders = []
        for number, shipment in enumerate(shipments):
            senders.append(asyncio.create_task(deliver(shipment)))
            await asyncio.sleep(0.02)
            if number == 15:
                await asyncio.to_thread(durable_postgres.halt)
            if number == 30:
                await asyncio.to_thread(durable_postgres.restart)
        await asyncio.wait_for(asyncio.gather(*senders), timeout=30)

        statuses = {status for seen in answers.values() for status in seen}
        assert statuses == {200, 503}, statuses  # some were refused while it was down
        for shipment in shipments:
            stored = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
            assert stored["status"] == "PICKUP_SCHEDULED", (stored, answers[shipment["id"]])


# --- Redis down -------------------------------------------------------------------

LOCATIONS = "{ locations { id name } }"


async def test_with_redis_down_quotes_and_locations_still_answer() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with running_stack(redis_url=dead) as stack:
        shipment = shipment_input("SO-D1", description="Documents")
        del shipment["cashOnDelivery"]
        variables = {"input": {"shipment": shipment, "carriers": ["BORZO", "ENVOY"]}}
        answer = (await stack.gql(RATES, variables))["data"]["rates"]
        assert answer["errors"] == []
        assert {rate["carrier"] for rate in answer["rates"]} == {"BORZO", "ENVOY"}
        body = await stack.gql(LOCATIONS)
        assert "errors" not in body, body
        assert body["data"]["locations"]
