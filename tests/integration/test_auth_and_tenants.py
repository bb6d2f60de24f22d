"""Bearer keys map to tenants; a tenant sees and changes its own shipments only."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.integration.conftest import create
from tests.integration.operations import CANCEL, GET, LIST, SUBSCRIBE, UPDATE
from tests.support.stack import Stack
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLSocket

PATCH = {"cashOnDelivery": {"amount": "1000", "currency": "IDR"}}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "key-acme"}, {"Authorization": ""}],
    ids=["none", "unknown", "no-scheme", "empty"],
)
async def test_http_without_a_good_key_is_401_and_never_data(
    stack: Stack, headers: dict[str, str]
) -> None:
    response = await stack.http.post(
        f"{stack.gateway}/graphql", json={"query": "{ carriers { code } }"}, headers=headers
    )
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_get_queries_need_a_key_too(stack: Stack) -> None:
    url = f"{stack.gateway}/graphql?query=%7Bcarriers%7Bcode%7D%7D"
    assert (await stack.http.get(url)).status_code == 401
    ok = await stack.http.get(url, headers={"Authorization": "Bearer key-acme"})
    assert ok.status_code == 200 and ok.json()["data"]["carriers"]


async def test_another_tenants_shipment_is_not_found(stack: Stack) -> None:
    mine = await create(stack, tenant="acme")
    theirs = await stack.gql(GET, {"id": mine["id"]}, tenant="globex")
    assert theirs["data"]["shipment"] is None
    node = await stack.gql(
        "query N($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]}, tenant="globex"
    )
    assert node["data"]["node"] is None
    listing = await stack.gql(LIST, tenant="globex")
    assert listing["data"]["shipments"]["edges"] == []
    update = await stack.gql(UPDATE, {"input": {"id": mine["id"], "patch": PATCH}}, tenant="globex")
    assert update["data"]["updateShipment"]["userErrors"][0]["code"] == "NOT_FOUND"
    cancel = await stack.gql(CANCEL, {"input": {"id": mine["id"]}}, tenant="globex")
    assert cancel["data"]["cancelShipment"]["userErrors"][0]["code"] == "NOT_FOUND"
    refresh = await stack.gql(
        "mutation R($id: ID!) { refreshShipment(id: $id) { id } }",
        {"id": mine["id"]},
        tenant="globex",
    )
    assert refresh["data"]["refreshShipment"] is None
    own = await stack.gql(GET, {"id": mine["id"]}, tenant="acme")
    assert own["data"]["shipment"]["version"] == 1
    assert own["data"]["shipment"]["status"] == "CREATED"


async def test_same_idempotency_key_in_two_tenants_books_twice(stack: Stack) -> None:
    acme = await create(stack, "SO-A", tenant="acme", idempotencyKey="k")
    globex = await create(stack, "SO-B", tenant="globex", idempotencyKey="k")
    assert acme["id"] != globex["id"]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "key-acme"])
async def test_websocket_without_a_good_key_is_refused_at_init(
    stack: Stack, protocol: str, authorization: str | None
) -> None:
    socket = await GraphQLSocket.connect(stack.gateway, protocol, authorization)
    try:
        if protocol == TRANSPORT_WS:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.receive()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        else:
            message = await socket.receive()
            assert message["type"] == "connection_error"
            assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await socket.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_subscribers_see_only_their_tenants_events(stack: Stack, protocol: str) -> None:
    acme = await GraphQLSocket.connect(stack.gateway, protocol, "Bearer key-acme")
    globex = await GraphQLSocket.connect(stack.gateway, protocol, "Bearer key-globex")
    try:
        assert await acme.acknowledged() and await globex.acknowledged()
        await acme.subscribe(SUBSCRIBE)
        await globex.subscribe(SUBSCRIBE)
        await asyncio.sleep(0.2)
        shipment = await create(stack, tenant="acme")
        event = await acme.next_data()
        assert event["data"]["shipmentUpdated"]["shipment"]["id"] == shipment["id"]
        with pytest.raises(TimeoutError):
            await globex.receive(wait_s=0.5)
    finally:
        await acme.close()
        await globex.close()


async def test_subscribing_to_another_tenants_shipment_is_not_found(stack: Stack) -> None:
    mine = await create(stack, tenant="acme")
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-globex")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(SUBSCRIBE, {"id": mine["id"]})
        message = await socket.receive()
        assert message["type"] in ("error", "next")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    finally:
        await socket.close()


async def test_tracking_another_tenants_number_is_not_found(stack: Stack) -> None:
    mine = await create(stack, tenant="acme")
    query = """query T($n: String!) { track(carrier: ENVIO, trackingNumber: $n) { status } }"""
    theirs = await stack.gql(query, {"n": mine["trackingNumber"]}, tenant="globex")
    assert theirs["data"]["track"] is None
    own = await stack.gql(query, {"n": mine["trackingNumber"]}, tenant="acme")
    assert own["data"]["track"]["status"] == "CREATED"
