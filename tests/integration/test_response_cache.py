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


# --- listings ---------------------------------------------------------------------------

PAGE = """
query P($first: Int, $after: String, $filter: ShipmentFilter) {
  shipments(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id status version } }
    pageInfo { hasNextPage }
  }
}
"""


async def page(
    stack: Stack, query: str = PAGE, tenant: str = "acme", **variables: Any
) -> httpx.Response:
    return await stack.http.post(
        f"{stack.gateway}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {KEYS[tenant]}"},
    )


def ids(response: httpx.Response) -> list[str]:
    return [edge["node"]["id"] for edge in data(response)["shipments"]["edges"]]


async def test_a_repeated_page_is_answered_from_the_cache_until_the_listing_changes(
    stack: Stack,
) -> None:
    first = await create(stack, "SO-L1")
    second = await create(stack, "SO-L2")
    read = await page(stack, first=2)
    again = await page(stack, first=2)
    assert again.headers["shipgraph-cache"] == "hit" and again.content == read.content
    assert ids(again) == [second["id"], first["id"]]
    newest = await create(stack, "SO-L3")  # a new shipment tops the listing
    after = await page(stack, first=2)
    assert "shipgraph-cache" not in after.headers
    assert ids(after) == [newest["id"], second["id"]]
    assert data(after)["shipments"]["pageInfo"]["hasNextPage"] is True


async def test_a_changed_shipment_of_the_page_is_a_miss(stack: Stack) -> None:
    shipment = await create(stack, "SO-L4")
    await page(stack, first=5)
    body = fixture("envio", "webhook_manifested")
    body["shipment"] = {"code": shipment["trackingNumber"], "ref_code": "SO-L4"}
    webhook = await stack.http.post(
        f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
    )
    assert webhook.status_code == 200
    after = await page(stack, first=5)
    assert "shipgraph-cache" not in after.headers
    assert data(after)["shipments"]["edges"][0]["node"]["status"] == "PICKUP_SCHEDULED"


async def test_a_filtered_page_leaves_when_a_shipment_stops_matching(stack: Stack) -> None:
    shipment = await create(stack, "SO-L5")
    created = {"status": ["CREATED"]}
    assert ids(await page(stack, first=5, filter=created)) == [shipment["id"]]
    assert (await page(stack, first=5, filter=created)).headers["shipgraph-cache"] == "hit"
    body = fixture("envio", "webhook_manifested")
    body["shipment"] = {"code": shipment["trackingNumber"], "ref_code": "SO-L5"}
    await stack.http.post(
        f"{stack.gateway}/webhooks/envio", params={"token": ENVIO_WEBHOOK_TOKEN}, json=body
    )
    after = await page(stack, first=5, filter=created)
    assert "shipgraph-cache" not in after.headers and ids(after) == []


async def test_the_next_page_appearing_is_a_miss(stack: Stack) -> None:
    await create(stack, "SO-L6")
    assert data(await page(stack, first=1))["shipments"]["pageInfo"]["hasNextPage"] is False
    assert (await page(stack, first=1)).headers["shipgraph-cache"] == "hit"
    await create(stack, "SO-L7")
    after = await page(stack, first=1)
    assert "shipgraph-cache" not in after.headers
    assert data(after)["shipments"]["pageInfo"]["hasNextPage"] is True


async def test_a_backward_page_is_checked_the_way_it_was_read(stack: Stack) -> None:
    oldest = await create(stack, "SO-L10")
    last = "query B { shipments(last: 1) { edges { node { id } } pageInfo { hasPreviousPage } } }"
    assert ids(await page(stack, last)) == [oldest["id"]]
    kept = await page(stack, last)
    assert kept.headers["shipgraph-cache"] == "hit"
    assert data(kept)["shipments"]["pageInfo"]["hasPreviousPage"] is False
    await create(stack, "SO-L11")  # newer: the oldest is still last, with one before it
    after = await page(stack, last)
    assert "shipgraph-cache" not in after.headers and ids(after) == [oldest["id"]]
    assert data(after)["shipments"]["pageInfo"]["hasPreviousPage"] is True


async def test_a_search_a_count_or_no_cache_is_never_answered_from_the_cache(
    stack: Stack,
) -> None:
    await create(stack, "SO-L8")
    searched = {"search": "SO-L8"}
    counted = "query C { shipments(first: 5) { totalCount edges { node { id } } } }"
    counted_in_fragment = (
        "query F { shipments(first: 5) { ...Counted } }"
        " fragment Counted on ShipmentConnection { totalCount }"
    )
    for _ in range(2):
        assert "shipgraph-cache" not in (await page(stack, first=5, filter=searched)).headers
        assert "shipgraph-cache" not in (await page(stack, counted)).headers
        assert "shipgraph-cache" not in (await page(stack, counted_in_fragment)).headers
    await page(stack, first=5)
    fresh = await stack.http.post(
        f"{stack.gateway}/graphql",
        json={"query": PAGE, "variables": {"first": 5}},
        headers={"Authorization": f"Bearer {KEYS['acme']}", "Cache-Control": "no-cache"},
    )
    assert "shipgraph-cache" not in fresh.headers and len(ids(fresh)) == 1


async def test_another_tenants_page_is_its_own(stack: Stack) -> None:
    await create(stack, "SO-L9")
    await page(stack, first=5)
    await page(stack, first=5)
    theirs = await page(stack, tenant="globex", first=5)
    assert "shipgraph-cache" not in theirs.headers and ids(theirs) == []
