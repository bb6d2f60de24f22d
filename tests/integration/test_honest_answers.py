"""Labels, rates and the fields whose carriers come later: real answers or honest
refusals with a code, never invented data."""

from __future__ import annotations

import pytest

from tests.integration.conftest import create
from tests.integration.operations import shipment_input
from tests.support.stack import Stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket

LABELS = """
mutation L($ids: [ID!]!, $format: DocumentFormat) {
  labels(input: {ids: $ids, format: $format}) {
    labels { shipment { id } documents { kind format url content } }
    userErrors { field code message carrier }
  }
}
"""

RATES = """
query Q($input: RatesInput!) {
  rates(input: $input) {
    rates { id carrier total { amount currency } }
    errors { carrier code message retryable }
  }
}
"""


async def test_envio_label_is_its_hosted_receipt(stack: Stack) -> None:
    shipment = await create(stack)
    body = await stack.gql(LABELS, {"ids": [shipment["id"], "shp_missing"], "format": "HTML"})
    payload = body["data"]["labels"]
    [label] = payload["labels"]
    assert label["shipment"]["id"] == shipment["id"]
    assert label["documents"] == [
        {"kind": "LABEL", "format": "HTML", "url": shipment["documents"][0]["url"], "content": None}
    ]
    [missing] = payload["userErrors"]
    assert missing["field"] == ["ids", "1"] and missing["code"] == "NOT_FOUND"


async def test_a_format_envio_cannot_give_is_unsupported(stack: Stack) -> None:
    shipment = await create(stack)
    body = await stack.gql(LABELS, {"ids": [shipment["id"]]})
    payload = body["data"]["labels"]
    assert payload["labels"] == []
    [error] = payload["userErrors"]
    assert error["field"] == ["format"]
    assert error["code"] == "UNSUPPORTED" and error["carrier"] == "ENVIO"


async def test_asking_carriers_that_cannot_quote_names_each(stack: Stack) -> None:
    variables = {"input": {"shipment": shipment_input(), "carriers": ["ENVIO", "ENVOY"]}}
    errors = (await stack.gql(RATES, variables))["data"]["rates"]["errors"]
    assert [(e["carrier"], e["code"], e["retryable"]) for e in errors] == [
        ("ENVIO", "UNSUPPORTED", False),
        ("ENVOY", "UNSUPPORTED", False),
    ]


async def test_rates_input_is_validated_with_paths(stack: Stack) -> None:
    shipment = shipment_input()
    shipment["origin"]["countryCode"] = "Indonesia"
    body = await stack.gql(RATES, {"input": {"shipment": shipment}})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert error["extensions"]["fields"][0]["field"] == [
        "input",
        "shipment",
        "origin",
        "countryCode",
    ]


@pytest.mark.parametrize(
    ("query", "carrier"),
    [
        ("{ locations(carrier: ENVIO) { id } }", "ENVIO"),
        ("{ portCodes(carrier: BORZO) { code } }", "BORZO"),
        ('{ cleanAddress(carrier: ENVOY, address: "1 Main St") { cityName } }', "ENVOY"),
        ('{ track(carrier: ENTREGO, trackingNumber: "X1") { status } }', "ENTREGO"),
    ],
)
async def test_fields_of_carriers_not_built_are_unsupported(
    stack: Stack, query: str, carrier: str
) -> None:
    body = await stack.gql(query)
    assert body["data"] is None or all(value is None for value in body["data"].values())
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNSUPPORTED"
    assert error["extensions"]["carrier"] == carrier


async def test_courier_positions_for_envio_are_unsupported(stack: Stack) -> None:
    shipment = await create(stack)
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(
            "subscription C($id: ID!) { courierLocation(id: $id) { name } }", {"id": shipment["id"]}
        )
        message = await socket.receive()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNSUPPORTED"
        assert errors[0]["extensions"]["carrier"] == "ENVIO"
    finally:
        await socket.close()


async def test_carriers_say_what_is_enabled(stack: Stack) -> None:
    body = await stack.gql("{ carriers { code name countries capabilities enabled healthy } }")
    by_code = {c["code"]: c for c in body["data"]["carriers"]}
    assert by_code["ENVIO"]["enabled"] is True and by_code["ENVIO"]["countries"] == ["ID"]
    assert "CASH_ON_DELIVERY" in by_code["ENVIO"]["capabilities"]
    assert by_code["BORZO"]["enabled"] is True
    assert {"RATES", "COURIER_LOCATION", "MULTI_STOP"} <= set(by_code["BORZO"]["capabilities"])
    assert by_code["ENTREGO"]["enabled"] is True and by_code["ENTREGO"]["countries"] == ["PH"]
    assert by_code["ENVOY"]["enabled"] is True
    assert {"RATES", "CREATE", "TRACK", "LABELS"} <= set(by_code["ENVOY"]["capabilities"])
    assert "UPDATE" not in by_code["ENVOY"]["capabilities"]
