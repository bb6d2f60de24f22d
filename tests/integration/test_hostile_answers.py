"""Carrier answers that say hostile things, through the real HTTP stack: the Envio
simulator answers ``refreshShipment``'s tracking call with a body set by its fault
control. An answer the gateway cannot read is a coded CARRIER_UNAVAILABLE, never a
500; a readable one with unreadable fields is applied without them; either way the
shipment, the listing and the next refresh still work."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import create
from tests.integration.operations import LIST
from tests.integration.test_hostile_webhooks import READ, sane
from tests.support.fixtures import fixture
from tests.support.stack import Stack

REFRESH = "mutation R($id: ID!) { refreshShipment(id: $id) { id status version } }"
HUGE = "A" * 900_000


def tracking(shipment: dict[str, Any], **changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = fixture("envio", "tracking_response")
    data = answer["data"]
    data.update(id=shipment["carrierShipmentId"], code=shipment["trackingNumber"], **changes)
    data["ref_code"] = shipment["reference"]
    return answer


def unreadable(shipment: dict[str, Any]) -> dict[str, str]:
    valid = json.dumps(tracking(shipment))
    return {
        "nested 5000 deep": '{"data":' * 5000 + "1" + "}" * 5000,
        "a list nested 5000 deep": valid.replace(
            '"logs": [', '"deep": ' + "[" * 5000 + "]" * 5000 + ', "logs": ['
        ),
        "1e999": valid.replace('"cod_value": 23000', '"cod_value": 1e999'),
        "NaN": valid.replace('"cod_value": 23000', '"cod_value": NaN'),
        "-Infinity": valid.replace('"cod_value": 23000', '"cod_value": -Infinity'),
        "a 5000-digit integer": valid.replace('"cod_value": 23000', '"cod_value": ' + "9" * 5000),
        "not JSON": valid[:-5],
        "a list": "[" + valid + "]",
    }


def readable_but_hostile(shipment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    log = {"recorded_at": "2023-06-09T02:00:00Z", "message": "m"}
    return {
        "received_by a list": tracking(shipment, received_by=["Robert"]),
        "received_by 900 KB with NUL": tracking(shipment, received_by="Ro\x00" + HUGE),
        "cod_value 1e999 string": tracking(shipment, cod_value="1e999"),
        "cod_value 1e300": tracking(shipment, cod_value=1e300),
        "eta_at year 9999": tracking(shipment, eta_at="9999-12-31T23:59:59-12:00"),
        "ata_at year 0": tracking(shipment, ata_at="0000-01-01T00:00:00Z"),
        "logs an object": tracking(shipment, logs={"a": 1}),
        "a log at 1e300 latitude": tracking(
            shipment, logs=[{**log, "latitude": 1e300, "longitude": 106.8}]
        ),
        "a log 900 KB with NUL": tracking(shipment, logs=[{**log, "message": "x\x00" + HUGE}]),
        "a log in year 9999": tracking(
            shipment, logs=[{**log, "recorded_at": "9999-12-31T23:59:59-12:00"}]
        ),
    }


async def answer_once(stack: Stack, body: str) -> None:
    response = await stack.control("POST", "/faults", json={"body": body, "times": 1})
    assert response.status_code in (200, 201, 204), response.text


async def still_works(stack: Stack, shipment_id: str, probe: str) -> None:
    read = await stack.gql(READ, {"id": shipment_id})
    assert "errors" not in read, (probe, read)
    assert sane(read["data"]) == [], (probe, sane(read["data"]))
    listed = await stack.gql(LIST, {"first": 10})
    assert "errors" not in listed, (probe, listed)
    assert shipment_id in [e["node"]["id"] for e in listed["data"]["shipments"]["edges"]]
    again = await stack.gql(REFRESH, {"id": shipment_id})
    assert "errors" not in again, (probe, again)


async def test_an_unreadable_answer_is_carrier_unavailable(stack: Stack) -> None:
    shipment = await create(stack, "SO-ANSWERS-1")
    probes = unreadable(shipment)
    for probe, body in probes.items():
        await answer_once(stack, body)
        refreshed = await stack.gql(REFRESH, {"id": shipment["id"]})
        [error] = refreshed["errors"]
        assert error["extensions"]["code"] == "CARRIER_UNAVAILABLE", (probe, error)
        assert "JSON" in error["message"], (probe, error)
        await still_works(stack, shipment["id"], probe)
    assert len(probes) == 8


async def test_unreadable_fields_of_a_readable_answer_are_dropped(stack: Stack) -> None:
    shipment = await create(stack, "SO-ANSWERS-2")
    probes = readable_but_hostile(shipment)
    for probe, body in probes.items():
        await answer_once(stack, json.dumps(body))
        refreshed = await stack.gql(REFRESH, {"id": shipment["id"]})
        assert "errors" not in refreshed, (probe, refreshed)
        assert refreshed["data"]["refreshShipment"]["id"] == shipment["id"]
        await still_works(stack, shipment["id"], probe)
    assert len(probes) == 10
