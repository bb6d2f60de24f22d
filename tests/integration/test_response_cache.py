"""Reads of shipments by id are answered from a per-process cache while, and only
while, every shipment they read is unchanged."""

from __future__ import annotations

import json
from typing import Any

import httpx

from shipgraph.sandbox.mounts import ENVIO_WEBHOOK_TOKEN
from tests.integration.conftest import create
from tests.support.fixtures import fixture
from tests.support.stack import KEYS, Stack

READ = "query R($id: ID!) { shipment(id: $id) { id status version } }"


async def read(
    stack: Stack, shipment_id: str, *, tenant: str = "acme", query: str = READ, **headers: str
) -> httpx.Response:
    return await stack.http.post(
        f"{stack.gateway}/graphql",
        json={"query": query, "variables": {"id": shipment_id}},
        headers={"Authorization": f"Bearer {KEYS[tenant]}", **headers},
    )


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_repeated_read_is_answered_from_the_cache(stack: Stack) -> None:
    shipment = await create(stack, "SO-C1")
    first, second = await read(stack, shipment["id"]), await read(stack, shipment["id"])
    assert "shipgraph-cache" not in first.headers
    assert second.headers["shipgraph-cache"] == "hit"
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]


async def test_a_changed_shipment_is_never_answered_from_the_cache(stack: Stack) -> None:
    shipment = await create(stack, "SO-C2")
    await read(stack, shipment["id"])
    await read(stack, shipment["id"])
    body = fixture("envio", "webhook_manifested")
    body["shipment"] = {"code": shipment["trackingNumber"], "ref_code": "SO-C2"}
    webhook = await stack.http.post(
        f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
    )
    assert webhook.status_code == 200
    after = await read(stack, shipment["id"])
    assert "shipgraph-cache" not in after.headers
    assert data(after)["shipment"]["status"] == "PICKUP_SCHEDULED"
    assert data(after)["shipment"]["version"] == 2


async def test_another_tenant_never_gets_a_kept_answer(stack: Stack) -> None:
    shipment = await create(stack, "SO-C3")
    await read(stack, shipment["id"])
    await read(stack, shipment["id"])
    theirs = await read(stack, shipment["id"], tenant="globex")
    assert data(theirs) == {"shipment": None}
    assert "shipgraph-cache" not in theirs.headers


async def test_each_media_type_is_kept_apart(stack: Stack) -> None:
    shipment = await create(stack, "SO-C4")
    await read(stack, shipment["id"])
    other = await read(stack, shipment["id"], Accept="application/graphql-response+json")
    assert other.headers["content-type"].startswith("application/graphql-response+json")
    assert "shipgraph-cache" not in other.headers


async def test_only_reads_of_shipments_by_id_are_kept(stack: Stack) -> None:
    shipment = await create(stack, "SO-C5")
    listing = "query L($id: ID!) { shipment(id: $id) { id } carriers { code healthy } }"
    for _ in range(2):
        response = await read(stack, shipment["id"], query=listing)
        assert "shipgraph-cache" not in response.headers
    broken = "query B($id: ID!) { shipment(id: $id) { nope } }"
    for _ in range(2):
        response = await read(stack, shipment["id"], query=broken)
        assert "shipgraph-cache" not in response.headers


async def test_a_read_over_get_is_kept_too(stack: Stack) -> None:
    shipment = await create(stack, "SO-C6")
    params = {"query": READ, "variables": json.dumps({"id": shipment["id"]})}
    headers = {"Authorization": f"Bearer {KEYS['acme']}"}
    url = f"{stack.gateway}/graphql"
    await stack.http.get(url, params=params, headers=headers)
    again = await stack.http.get(url, params=params, headers=headers)
    assert again.headers["shipgraph-cache"] == "hit"
    assert data(again)["shipment"]["id"] == shipment["id"]


async def test_malformed_variables_or_extensions_are_never_answered_from_the_cache(
    stack: Stack,
) -> None:
    url = f"{stack.gateway}/graphql"
    headers = {
        "Authorization": f"Bearer {KEYS['acme']}",
        "Accept": "application/graphql-response+json",
    }
    for _ in range(2):
        assert (
            await stack.http.post(url, json={"query": "{ __typename }"}, headers=headers)
        ).is_success
    for malformed in (
        {"variables": 0},
        {"variables": False},
        {"extensions": "x"},
        {"extensions": 0},
    ):
        body = {"query": "{ __typename }", **malformed}
        response = await stack.http.post(url, json=body, headers=headers)
        assert response.status_code == 400, (malformed, response.text)
