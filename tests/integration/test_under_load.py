"""The gateway under load, through the real HTTP stack: bursts of reads on one database
connection pool, bursts of webhooks for one shipment, carriers that hang for many
calls at once, and connections that are idle or send half a request."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette

from shipgraph.app import create_app
from shipgraph.config import Settings, load_settings
from shipgraph.http.server import server_options
from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from tests.integration.conftest import create
from tests.integration.operations import GET, shipment_input
from tests.support.clock import stamp
from tests.support.servers import serve
from tests.support.stack import KEYS, Backend, Stack, running_stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS

RATES = """
query Q($input: RatesInput!) {
  rates(input: $input) {
    rates { carrier }
    errors { carrier code message retryable }
  }
}
"""
HEALTH = "{ carriers { code healthy } }"


def wide_client() -> httpx.AsyncClient:
    """A client that really sends every request at once (httpx queues past 100)."""
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=400))


async def read(http: httpx.AsyncClient, stack: Stack, shipment_id: str) -> dict[str, Any]:
    response = await http.post(
        f"{stack.gateway}/graphql",
        json={"query": GET, "variables": {"id": shipment_id}},
        headers={"Authorization": f"Bearer {KEYS['acme']}"},
    )
    body: dict[str, Any] = response.json()
    return body


def answer_of(body: dict[str, Any]) -> str:
    """``data``, or the code of the first error."""
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    return "data" if body.get("data", {}).get("shipment") else "empty"


# --- one database pool, shared, waited for ----------------------------------------


async def test_300_concurrent_reads_are_all_answered(backend: Backend) -> None:
    async with running_stack(backend) as stack, wide_client() as http:
        shipments = [await create(stack, f"SO-L{number}") for number in range(3)]
        bodies = await asyncio.gather(
            *(read(http, stack, shipments[n % 3]["id"]) for n in range(300))
        )
    answers = Counter(answer_of(body) for body in bodies)
    assert answers == {"data": 300}, answers


@dataclass
class Holder:
    """Takes pooled database connections and keeps them until told: a slow holder."""

    stack: Stack
    held: list[AsyncConnection]

    async def take(self, count: int) -> None:
        engine = self.stack.app.state.services.store.engine
        self.held += [await engine.connect() for _ in range(count)]

    async def release(self) -> None:
        for connection in self.held:
            await connection.close()
        self.held.clear()


async def test_an_exhausted_pool_is_reported_as_what_it_is(
    migrated_postgres_url: str,
) -> None:
    async with running_stack(
        database_url=migrated_postgres_url,
        database_max_connections=2,
        database_pool_wait_s=0.2,
    ) as stack:
        shipment = await create(stack, "SO-POOL")
        holder = Holder(stack, [])
        await holder.take(2)
        try:
            body = await stack.gql(GET, {"id": shipment["id"]})
            [error] = body["errors"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "connection pool is exhausted" in error["message"]
            assert "size 2" in error["message"]

            webhook = await send_webhook(stack.http, stack, status_event(shipment, 1))
            assert webhook.status_code == 503
            assert "connection pool is exhausted" in webhook.json()["error"]
            assert int(webhook.headers["retry-after"]) >= 1
        finally:
            await holder.release()
        # The pool gives the connections out again: answered as usual.
        again = await stack.gql(GET, {"id": shipment["id"]})
        assert again["data"]["shipment"]["id"] == shipment["id"]
        metrics = (await stack.http.get(f"{stack.gateway}/metrics")).text
        exhausted = next(
            line
            for line in metrics.splitlines()
            if line.startswith("shipgraph_database_pool_exhausted_total ")
        )
        assert float(exhausted.split()[1]) >= 2


# --- many webhooks for one shipment -------------------------------------------------


def status_event(shipment: dict[str, Any], number: int) -> dict[str, Any]:
    """A distinct Envio event of the delivery stage, ``number`` minutes after the
    shipment was made (so a higher number is a newer event)."""
    base = datetime.fromisoformat(shipment["createdAt"])
    return {
        "code": f"M-{number}",
        "shipment": {"code": shipment["trackingNumber"], "ref_code": shipment["reference"]},
        "status": "resend" if number % 2 else "delivery_failed",
        "ata_at": stamp(base + timedelta(minutes=number)),
        "message": f"scan {number}",
    }


async def send_webhook(
    http: httpx.AsyncClient, stack: Stack, body: dict[str, Any]
) -> httpx.Response:
    return await http.post(
        f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
    )


async def test_150_concurrent_webhooks_for_one_shipment_end_in_2xx_or_503(
    migrated_postgres_url: str,
) -> None:
    # Two gateway processes on one database: the same shipment written from both.
    async with (
        running_stack(database_url=migrated_postgres_url) as first,
        running_stack(database_url=migrated_postgres_url) as second,
        wide_client() as http,
    ):
        shipment = await create(first, "SO-BURST")
        events = [status_event(shipment, number) for number in range(1, 151)]
        responses = await asyncio.gather(
            *(
                send_webhook(http, (first, second)[number % 2], event)
                for number, event in enumerate(events)
            )
        )
        answers = Counter(response.status_code for response in responses)
        assert set(answers) <= {200, 503}, answers
        for response in responses:
            if response.status_code == 503:
                assert int(response.headers["retry-after"]) >= 1
        applied = [e for e, r in zip(events, responses, strict=True) if r.status_code == 200]
        assert applied

        stored = (await first.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
        messages = {log["message"] for log in stored["trackingLogs"]}
        assert {event["message"] for event in applied} <= messages
        assert stored["version"] == 1 + len(applied)
        newest = max(applied, key=lambda event: datetime.fromisoformat(event["ata_at"]))
        assert (
            stored["status"]
            == {"resend": "IN_TRANSIT", "delivery_failed": "DELIVERY_FAILED"}[str(newest["status"])]
        )
        assert stored["carrierStatus"] == newest["status"]


async def test_150_concurrent_webhooks_in_one_process_are_all_applied(
    backend: Backend,
) -> None:
    async with running_stack(backend) as stack, wide_client() as http:
        shipment = await create(stack, "SO-BURST1")
        events = [status_event(shipment, number) for number in range(1, 151)]
        responses = await asyncio.gather(*(send_webhook(http, stack, event) for event in events))
        answers = Counter(response.status_code for response in responses)
        assert answers == {200: 150}, answers
        stored = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
        assert stored["version"] == 151
        assert stored["status"] == "DELIVERY_FAILED"  # event 150, the newest
        assert len({log["message"] for log in stored["trackingLogs"]} - {None}) == 150


# --- carriers that hang for many calls at once ----------------------------------------


async def fault(stack: Stack, carrier: str, spec: dict[str, Any]) -> None:
    response = await stack.http.post(f"{stack.sandbox}/{carrier}/_control/faults", json=spec)
    assert response.status_code < 300, response.text


async def quote(http: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    shipment = shipment_input("SO-HANG", description="Documents")
    del shipment["cashOnDelivery"]
    response = await http.post(
        f"{stack.gateway}/graphql",
        json={
            "query": RATES,
            "variables": {"input": {"shipment": shipment, "carriers": ["BORZO"]}},
        },
        headers={"Authorization": f"Bearer {KEYS['acme']}"},
    )
    answer: dict[str, Any] = response.json()["data"]["rates"]
    return answer


async def test_hung_quotes_at_once_open_the_breaker(backend: Backend) -> None:
    settings: dict[str, Any] = {
        "carrier_timeout_s": 0.5,
        "breaker_failures": 5,
        "breaker_reset_s": 60,
    }
    async with running_stack(backend, **settings) as stack, wide_client() as http:
        await fault(stack, "borzo", {"hang": True})
        answers = await asyncio.gather(*(quote(http, stack) for _ in range(22)))
        for answer in answers:
            [error] = answer["errors"]
            assert error["code"] == "CARRIER_UNAVAILABLE"
        carriers = (await stack.gql(HEALTH))["data"]["carriers"]
        assert not next(c["healthy"] for c in carriers if c["code"] == "BORZO")
        # The next quote is refused at once, not after its whole deadline.
        [error] = (await quote(http, stack))["errors"]
        assert "circuit open" in error["message"]


# --- idle and half-sent connections -----------------------------------------------------


@dataclass
class Gateway:
    url: str
    port: int
    settings: Settings
    app: Starlette


@asynccontextmanager
async def served(**overrides: Any) -> AsyncIterator[Gateway]:
    """The gateway alone, served with the options `shipgraph serve` uses."""
    settings = load_settings(
        api_keys=",".join(f"{tenant}:{key}" for tenant, key in KEYS.items()), **overrides
    )
    app = create_app(settings)
    async with serve(app, **server_options(settings)) as url:
        yield Gateway(url, int(url.rsplit(":", 1)[1]), settings, app)


async def closed_by_server(gateway: Gateway, sent: bytes) -> bytes:
    """Send ``sent`` and nothing more; what the server says before it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    try:
        if sent:
            writer.write(sent)
            await writer.drain()
        # Far longer than the read timeout: a server that never closes fails here.
        return await asyncio.wait_for(reader.read(), timeout=20)
    finally:
        writer.close()


HALF_SENT = [
    pytest.param(b"", id="nothing"),
    pytest.param(b"POST /graphql HTT", id="half a request line"),
    pytest.param(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Ty", id="half the headers"),
    pytest.param(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer key-acme\r\n"
        b'Content-Length: 100\r\n\r\n{"query": ',
        id="half the body",
    ),
]


@pytest.mark.parametrize("sent", HALF_SENT)
async def test_an_idle_or_half_sent_request_is_closed_by_the_server(sent: bytes) -> None:
    async with served(http_request_read_s=0.3) as gateway:
        answer = await closed_by_server(gateway, sent)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer


async def test_a_connection_kept_alive_is_closed_when_idle_and_served_before() -> None:
    async with served(http_request_read_s=0.3, http_keep_alive_s=1) as gateway:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await read_response(reader)).startswith(b"HTTP/1.1 200 ")
            # Nothing more is sent: the keep-alive timeout closes the connection.
            assert await asyncio.wait_for(reader.read(), timeout=20) == b""
        finally:
            writer.close()


async def test_headers_past_the_limit_get_431() -> None:
    async with served(http_max_header_bytes=2048) as gateway:
        sent = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4096 + b"\r\n\r\n"
        answer = await closed_by_server(gateway, sent)
    assert answer.startswith(b"HTTP/1.1 431 "), answer


async def test_between_requests_keep_alive_rules_not_the_read_timeout() -> None:
    async with served(http_request_read_s=0.3, http_keep_alive_s=30) as gateway:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        try:
            for _ in range(2):
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                await writer.drain()
                await read_response(reader)
                await asyncio.sleep(0.6)  # twice the read timeout, idle after an answer
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await read_response(reader)).startswith(b"HTTP/1.1 200 ")
        finally:
            writer.close()


async def read_response(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_websocket_without_connection_init_is_closed_4408(protocol: str) -> None:
    async with served(ws_init_wait_s=0.3) as gateway:
        url = gateway.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=[protocol]) as socket:  # type: ignore[list-item]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:  # keep-alives may come first
                    await asyncio.wait_for(socket.recv(), timeout=20)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4408


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_websocket_that_sends_connection_init_stays_open(protocol: str) -> None:
    async with served(ws_init_wait_s=0.3) as gateway:
        url = gateway.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=[protocol]) as socket:  # type: ignore[list-item]
            payload = {"authorization": f"Bearer {KEYS['acme']}"}
            init = {"type": "connection_init", "payload": payload}
            await socket.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            assert ack["type"] == "connection_ack"
            await asyncio.sleep(0.6)  # twice the wait: still open
            ping = {"type": "ping"} if protocol == TRANSPORT_WS else None
            if ping is not None:
                await socket.send(json.dumps(ping))
                pong = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                assert pong["type"] == "pong"
            else:
                assert socket.close_code is None
