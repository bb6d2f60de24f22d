"""The README's quick-start operations work as written."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.clock import days_ahead, stamp
from tests.support.redis_server import free_port
from tests.support.stack import Stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket
from tests.unit.test_cli import clean_env

README = Path(__file__).resolve().parents[2] / "README.md"
# What the README asks a reader to put in GraphiQL's Variables pane: tomorrow and the day after.
BOOK_TIMES = {"pickupAt": stamp(days_ahead(1, 9)), "deliverBy": stamp(days_ahead(2, 17))}


def readme_operations() -> dict[str, str]:
    """The README's ```graphql blocks by operation name."""
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.DOTALL)
    return {re.search(r"^\w+ (\w+)", block).group(1): block for block in blocks}  # type: ignore[union-attr]


async def test_readme_mutation_subscription_and_query(stack: Stack) -> None:
    operations = readme_operations()
    assert {"Book", "Watch", "Shipment"} <= set(operations)
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(operations["Watch"])
        booked = await stack.gql(operations["Book"], BOOK_TIMES)
        payload = booked["data"]["createShipment"]
        assert payload["userErrors"] == []
        shipment = payload["shipment"]
        assert shipment["status"] == "CREATED"
        again = await stack.gql(operations["Book"], BOOK_TIMES)
        assert again["data"]["createShipment"]["shipment"]["id"] == shipment["id"]

        first = await socket.next_data()
        assert first["data"]["shipmentUpdated"]["shipment"]["status"] == "CREATED"
        response = await stack.http.post(
            f"{stack.envio}/_control/shipments/{shipment['trackingNumber']}/advance"
        )
        assert response.status_code == 200
        moved = await socket.next_data()
        assert moved["data"]["shipmentUpdated"]["previousStatus"] == "CREATED"
        assert moved["data"]["shipmentUpdated"]["shipment"]["status"] == "PICKUP_SCHEDULED"
    finally:
        await socket.close()

    query = operations["Shipment"].replace("SHIPMENT_ID", shipment["id"])
    result = await stack.gql(query)
    assert "errors" not in result
    assert result["data"]["shipment"]["status"] == "PICKUP_SCHEDULED"
    assert result["data"]["shipments"]["edges"][0]["node"]["id"] == shipment["id"]


async def test_readme_quote_booking_and_courier(stack: Stack) -> None:
    operations = readme_operations()
    quoted = await stack.gql(operations["Quote"])
    assert quoted["data"]["rates"]["errors"] == []
    rate = quoted["data"]["rates"]["rates"][0]
    booked = await stack.gql(operations["BookQuote"].replace("RATE_ID", rate["id"]))
    payload = booked["data"]["createShipment"]
    assert payload["userErrors"] == []
    shipment = payload["shipment"]
    assert shipment["carrier"] == "BORZO" and shipment["price"] == rate["total"]
    orders = (await stack.http.get(f"{stack.sandbox}/borzo/_control/orders")).json()["orders"]
    order = f"{stack.sandbox}/borzo/_control/orders/{orders[0]['order_id']}"
    for step in ("available", "courier_assigned", "courier_departed"):
        assert (await stack.http.post(f"{order}/advance", json={"step": step})).status_code == 200
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(operations["Courier"].replace("SHIPMENT_ID", shipment["id"]))
        position = (await socket.next_data(wait_s=10))["data"]["courierLocation"]
        assert position["name"] and position["location"]
    finally:
        await socket.close()


async def test_readme_places(stack: Stack) -> None:
    body = await stack.gql(readme_operations()["Places"])
    assert "errors" not in body, body
    [metro] = body["data"]["locations"]
    assert metro["name"] == "Metro Manila" and metro["children"]
    assert body["data"]["portCodeFor"]["code"]
    assert body["data"]["cleanAddress"]["cityName"] == "Cebu City"


def test_readme_production_snippet(tmp_path: Path) -> None:
    """The Production lines as written, on a SQLite file instead of db.example.com:
    the migration, then a serve that accepts the database and says it is ready."""
    [snippet] = [
        block
        for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
        if "shipgraph db upgrade &&" in block
    ]
    export, chain = snippet.strip().splitlines()
    name, _, url = export.removeprefix("export ").partition("=")
    assert name == "SHIPGRAPH_DATABASE_URL"
    assert shlex.split(url)[0].startswith("postgresql+asyncpg://")
    env = clean_env(SHIPGRAPH_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'records.db'}")
    upgrade, serve = (shlex.split(part) for part in chain.split("&&"))
    assert upgrade == ["shipgraph", "db", "upgrade"]
    done = subprocess.run(
        [sys.executable, "-m", *upgrade], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout

    port = free_port()
    assert serve[:2] == ["shipgraph", "serve"] and {"--host", "--port"} <= set(serve)
    serve[serve.index("--port") + 1] = str(port)
    serve[serve.index("--host") + 1] = "127.0.0.1"  # the test listens on loopback only
    server = subprocess.Popen(
        [sys.executable, "-m", *serve],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        ready = None
        while ready is None and server.poll() is None and time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.1)
        assert ready is not None, "serve never answered"
        assert ready.status_code == 200 and ready.json()["store"] is True
    finally:
        server.terminate()
        server.communicate(timeout=30)
