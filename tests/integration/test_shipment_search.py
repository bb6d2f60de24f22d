"""Search, backward pages, orderBy and totalCount through the gateway over HTTP.

These need the SQL store behind the stack (the listing's search and count are the SQL
store's): they pass once the stack runs on it."""

from __future__ import annotations

from typing import Any

from tests.integration.operations import CREATE, shipment_input
from tests.support.stack import Stack

LIST = """
query List($first: Int, $last: Int, $after: String, $before: String,
           $filter: ShipmentFilter, $orderBy: ShipmentOrder) {
  shipments(first: $first, last: $last, after: $after, before: $before,
            filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id reference } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def book(stack: Stack, reference: str, name: str, phone: str, tenant: str = "acme") -> str:
    destination = {**shipment_input()["destination"], "name": name, "phone": phone}
    variables = {
        "input": {
            "carrier": "ENVIO",
            "shipment": shipment_input(reference, destination=destination),
        }
    }
    body = await stack.gql(CREATE, variables, tenant=tenant)
    payload: dict[str, Any] = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    shipment_id: str = payload["shipment"]["id"]
    return shipment_id


async def listing(stack: Stack, tenant: str = "acme", **variables: Any) -> dict[str, Any]:
    body = await stack.gql(LIST, variables, tenant=tenant)
    assert "errors" not in body, body
    shipments: dict[str, Any] = body["data"]["shipments"]
    return shipments


def references(shipments: dict[str, Any]) -> list[str]:
    return [edge["node"]["reference"] for edge in shipments["edges"]]


async def test_search_finds_by_reference_name_and_phone(stack: Stack) -> None:
    await book(stack, "SO-7001", "Budi Santoso", "+62 812-1111-2222")
    await book(stack, "SO-7002", "Siti Rahma", "6285733334444")
    await book(stack, "INV-1", "Maria Santos", "08123334444")
    await book(stack, "SO-7003", "Budi Lain", "6281200001111", tenant="globex")
    found = await listing(stack, filter={"search": "so-70"})
    assert references(found) == ["SO-7002", "SO-7001"]
    assert found["totalCount"] == 2
    assert references(await listing(stack, filter={"search": "santo"})) == ["INV-1", "SO-7001"]
    assert references(await listing(stack, filter={"search": "0812"})) == ["INV-1", "SO-7001"]
    assert references(await listing(stack, filter={"search": "62857"})) == ["SO-7002"]
    assert references(await listing(stack, filter={"search": "budi"})) == ["SO-7001"]
    assert references(await listing(stack, filter={"search": "%"})) == []


async def test_last_before_and_order(stack: Stack) -> None:
    for n in range(5):
        await book(stack, f"SO-80{n}", "Budi", "0812-1111-2222")
    newest = await listing(stack, first=5)
    assert references(newest) == [f"SO-80{n}" for n in range(4, -1, -1)]
    tail = await listing(stack, last=2)
    assert references(tail) == ["SO-801", "SO-800"]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    before = await listing(stack, last=2, before=tail["pageInfo"]["startCursor"])
    assert references(before) == ["SO-803", "SO-802"]
    assert before["pageInfo"]["hasNextPage"]
    oldest = await listing(stack, first=2, orderBy="OLDEST_FIRST")
    assert references(oldest) == ["SO-800", "SO-801"]
    assert oldest["totalCount"] == 5


async def test_bad_pages_and_searches_are_refused(stack: Stack) -> None:
    for variables in (
        {"first": 1, "last": 1},
        {"last": 1, "after": "x"},
        {"before": "x"},
        {"last": 101},
        {"last": 1, "before": "not-a-cursor"},
        {"filter": {"search": "x" * 101}},
        {"filter": {"search": "a\u0000b"}},
    ):
        body = await stack.gql(LIST, variables)
        assert body["data"] is None, variables
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (variables, body)
