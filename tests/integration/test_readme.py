"""The README's quick-start operations work as written."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.clock import days_ahead, stamp
from tests.support.stack import Stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket

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
