"""Pickup and delivery times: refused before any carrier call when no carrier could honour
them, and sent to Borzo as whole windows that keep each drop-off after the pick-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.operations import CREATE, UPDATE, shipment_input
from tests.integration.test_borzo import RATES, book
from tests.integration.test_entrego import ph_shipment
from tests.integration.test_envoy import envoy_shipment
from tests.support.clock import WIB, days_ahead, now, stamp
from tests.support.stack import Backend, Stack, running_stack

SHIPMENTS = {
    "ENVIO": lambda: shipment_input("SO-T1"),
    "BORZO": lambda: shipment_input("SO-T1", description="Documents"),
    "ENTREGO": lambda: ph_shipment("PH-T1"),
    "ENVOY": lambda: envoy_shipment("SO-T1"),
}
CONTROL_LISTS = {
    "ENVIO": ("envio/_control/shipments", "shipments"),
    "BORZO": ("borzo/_control/orders", "orders"),
    "ENTREGO": ("entrego/_control/orders", "orders"),
    "ENVOY": ("envoy/_control/shipments", "shipments"),
}
AN_HOUR_AGO = stamp(now().astimezone(WIB) - timedelta(hours=1))
FAR_AHEAD = stamp(days_ahead(400, 9))
YEAR_9999 = "9999-12-31T23:59:59-07:00"


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    async with running_stack(backend, carrier_timeout_s=8.0) as running:
        yield running


async def carrier_records(stack: Stack, carrier: str) -> list[Any]:
    path, key = CONTROL_LISTS[carrier]
    found: list[Any] = (await stack.http.get(f"{stack.sandbox}/{path}")).json()[key]
    return found


@pytest.mark.parametrize("carrier", list(SHIPMENTS))
@pytest.mark.parametrize(
    ("times", "field", "says"),
    [
        ({"pickupAt": AN_HOUR_AGO}, "pickupAt", "is in the past"),
        ({"deliverBy": AN_HOUR_AGO, "pickupAt": None}, "deliverBy", "is in the past"),
        ({"pickupAt": FAR_AHEAD, "deliverBy": None}, "pickupAt", "within 365 days"),
        ({"pickupAt": YEAR_9999, "deliverBy": None}, "pickupAt", "within 365 days"),
        ({"pickupAt": None, "deliverBy": YEAR_9999}, "deliverBy", "within 365 days"),
        (
            {"pickupAt": stamp(days_ahead(2, 9)), "deliverBy": stamp(days_ahead(1, 9))},
            "deliverBy",
            "must not be before pickupAt",
        ),
    ],
)
async def test_a_time_no_carrier_could_honour_is_refused_before_any_call(
    stack: Stack, carrier: str, times: dict[str, Any], field: str, says: str
) -> None:
    shipment = SHIPMENTS[carrier]() | times
    body = await stack.gql(CREATE, {"input": {"carrier": carrier, "shipment": shipment}})
    payload = body["data"]["createShipment"]
    assert payload["shipment"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["shipment", field], "VALIDATION")
    ]
    assert says in payload["userErrors"][0]["message"]
    assert payload["userErrors"][0]["carrier"] is None  # ours, not a carrier's code
    assert await carrier_records(stack, carrier) == []


async def test_a_quote_for_a_past_pickup_is_a_coded_error(stack: Stack) -> None:
    shipment = SHIPMENTS["BORZO"]() | {"pickupAt": AN_HOUR_AGO}
    body = await stack.gql(RATES, {"input": {"shipment": shipment, "carriers": ["BORZO"]}})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert "pickupAt: is in the past" in error["message"]


async def test_an_update_into_the_past_is_refused(stack: Stack) -> None:
    booked = await book(stack, SHIPMENTS["BORZO"]())
    for patch, field in (
        ({"pickupAt": AN_HOUR_AGO}, "pickupAt"),
        ({"deliverBy": FAR_AHEAD}, "deliverBy"),
    ):
        body = await stack.gql(UPDATE, {"input": {"id": booked["id"], "patch": patch}})
        payload = body["data"]["updateShipment"]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["patch", field], "VALIDATION")
        ]


def windows(order: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    return [
        (
            datetime.fromisoformat(point["required_start_datetime"]),
            datetime.fromisoformat(point["required_finish_datetime"]),
        )
        for point in order["points"]
    ]


def assert_route_in_order(spans: list[tuple[datetime, datetime]]) -> None:
    (pickup_start, pickup_end), *drops = spans
    assert pickup_start < pickup_end
    previous = pickup_end
    for start, finish in drops:
        assert previous <= start < finish
        previous = start


async def only_order(stack: Stack) -> dict[str, Any]:
    [order] = await carrier_records(stack, "BORZO")
    found: dict[str, Any] = order
    return found


STOP = {
    "line1": "Jl. Kemang Raya No. 8",
    "city": "Jakarta Selatan",
    "countryCode": "ID",
    "phone": "6281234567890",
}


@pytest.mark.parametrize(
    "times",
    [
        {"pickupAt": stamp(days_ahead(1, 9)), "deliverBy": stamp(days_ahead(1, 17))},
        {"pickupAt": stamp(days_ahead(1, 9)), "deliverBy": None},
        {"pickupAt": None, "deliverBy": stamp(days_ahead(1, 17))},
        {
            "pickupAt": stamp(days_ahead(1, 9)),
            "deliverBy": stamp(days_ahead(1, 9) + timedelta(minutes=20)),
        },
    ],
)
async def test_borzo_gets_both_ends_of_every_window_each_drop_after_the_pickup(
    stack: Stack, times: dict[str, Any]
) -> None:
    shipment = SHIPMENTS["BORZO"]() | times | {"carrierOptions": {"BORZO": {"points": [STOP]}}}
    await book(stack, shipment)
    order = await only_order(stack)
    spans = windows(order)
    assert len(spans) == 3
    assert_route_in_order(spans)
    if times["pickupAt"]:
        assert spans[0][0] == datetime.fromisoformat(times["pickupAt"])
    if times["deliverBy"]:
        assert spans[-1][1] == datetime.fromisoformat(times["deliverBy"])


async def test_borzo_edits_keep_the_route_in_order(stack: Stack) -> None:
    times = {"pickupAt": stamp(days_ahead(1, 9)), "deliverBy": stamp(days_ahead(1, 17))}
    booked = await book(stack, SHIPMENTS["BORZO"]() | times)

    later_pickup = stamp(days_ahead(1, 19))  # after the deadline: the drop-off moves too
    patches = [{"deliverBy": stamp(days_ahead(2, 12))}, {"pickupAt": later_pickup}]
    for patch in patches:
        body = await stack.gql(UPDATE, {"input": {"id": booked["id"], "patch": patch}})
        assert body["data"]["updateShipment"]["userErrors"] == [], body
        assert_route_in_order(windows(await only_order(stack)))
    spans = windows(await only_order(stack))
    assert spans[0][0] == datetime.fromisoformat(later_pickup)
    assert spans[1][1] == datetime.fromisoformat(patches[0]["deliverBy"])


async def test_borzo_refuses_a_deadline_before_its_pickup_can_start(stack: Stack) -> None:
    soon = stamp(now().astimezone(WIB) + timedelta(minutes=10))  # the pick-up opens in 30
    shipment = SHIPMENTS["BORZO"]() | {"pickupAt": None, "deliverBy": soon}
    body = await stack.gql(CREATE, {"input": {"carrier": "BORZO", "shipment": shipment}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["shipment", "deliverBy"]
    assert error["code"] == "VALIDATION" and "pick-up" in error["message"]
    assert await carrier_records(stack, "BORZO") == []
