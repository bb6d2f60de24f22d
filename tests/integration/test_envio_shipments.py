"""Envio end to end: GraphQL -> gateway -> simulator over HTTP, memory and Redis."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.integration.conftest import create
from tests.integration.operations import (
    CANCEL,
    CREATE,
    GET,
    LIST,
    PICKUP_AT,
    UPDATE,
    create_input,
)
from tests.support.clock import days_ahead, stamp
from tests.support.stack import Stack, running_stack


async def sandbox_shipments(stack: Stack) -> list[dict[str, Any]]:
    response = await stack.control("GET", "/shipments")
    shipments: list[dict[str, Any]] = response.json()["shipments"]
    return shipments


async def test_create_books_with_envio_and_stores_version_1(stack: Stack) -> None:
    shipment = await create(stack)
    assert shipment["carrier"] == "ENVIO"
    assert shipment["status"] == "CREATED"
    assert shipment["carrierStatus"] == "new"
    assert shipment["version"] == 1
    assert shipment["trackingNumber"].startswith("S")
    assert shipment["cashOnDelivery"] == {"amount": "23000", "currency": "IDR"}
    assert shipment["estimatedPickupAt"] == PICKUP_AT
    [receipt] = shipment["documents"]
    assert receipt["kind"] == "LABEL" and receipt["format"] == "HTML"
    page = await stack.http.get(receipt["url"])
    assert page.status_code == 200 and shipment["trackingNumber"] in page.text
    [booked] = await sandbox_shipments(stack)
    assert booked["code"] == shipment["trackingNumber"]
    assert booked["ref_code"] == "SO-1001"
    again = await stack.gql(GET, {"id": shipment["id"]})
    assert again["data"]["shipment"] == shipment


async def test_listing_is_newest_first_with_cursors(stack: Stack) -> None:
    ids = [(await create(stack, f"SO-{n}"))["id"] for n in range(5)]
    first = (await stack.gql(LIST, {"first": 2}))["data"]["shipments"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await stack.gql(LIST, {"first": 10, "after": first["pageInfo"]["endCursor"]})
    page = rest["data"]["shipments"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[::-1][2:]
    assert page["pageInfo"]["hasNextPage"] is False
    filtered = await stack.gql(LIST, {"filter": {"reference": "SO-3"}})
    assert [e["node"]["reference"] for e in filtered["data"]["shipments"]["edges"]] == ["SO-3"]


async def test_listing_refuses_a_bad_cursor_and_page_size(stack: Stack) -> None:
    bad = await stack.gql(LIST, {"after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    huge = await stack.gql(LIST, {"first": 1000})
    assert huge["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_missing_contact_is_a_validation_error_before_envio(stack: Stack) -> None:
    variables = create_input()
    del variables["input"]["shipment"]["destination"]["phone"]
    body = await stack.gql(CREATE, variables)
    payload = body["data"]["createShipment"]
    assert payload["shipment"] is None
    assert payload["userErrors"] == [
        {
            "field": ["shipment", "destination", "phone"],
            "code": "VALIDATION",
            "message": "Envio requires this field",
            "carrier": "ENVIO",
        }
    ]
    assert await sandbox_shipments(stack) == []


async def test_gateway_rules_come_with_field_paths(stack: Stack) -> None:
    variables = create_input()
    shipment = variables["input"]["shipment"]
    shipment["destination"]["countryCode"] = "Indonesia"
    shipment["parcels"][0]["items"][0]["quantity"] = 0
    shipment["cashOnDelivery"] = {"amount": "-1", "currency": "IDR"}
    payload = (await stack.gql(CREATE, variables))["data"]["createShipment"]
    assert {tuple(e["field"]) for e in payload["userErrors"]} == {
        ("shipment", "destination", "countryCode"),
        ("shipment", "parcels", "0", "items", "0", "quantity"),
        ("shipment", "cashOnDelivery", "amount"),
    }


async def test_envio_422_maps_to_the_input_field(stack: Stack) -> None:
    await create(stack, "SO-DUP")
    body = await stack.gql(CREATE, create_input("SO-DUP"))
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["shipment", "reference"]
    assert error["code"] == "DUPLICATE"
    assert error["carrier"] == "ENVIO"


async def test_a_booking_without_a_carrier_is_refused(stack: Stack) -> None:
    variables = create_input()
    del variables["input"]["carrier"]
    [error] = (await stack.gql(CREATE, variables))["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["carrier"] and error["code"] == "VALIDATION"


async def test_a_carrier_without_credentials_is_unsupported() -> None:
    async with running_stack(envoy_access_token=None) as stack:
        variables = create_input()
        variables["input"]["carrier"] = "ENVOY"
        [error] = (await stack.gql(CREATE, variables))["data"]["createShipment"]["userErrors"]
        assert error["code"] == "UNSUPPORTED" and error["carrier"] == "ENVOY"
        assert error["field"] == ["carrier"]
        carriers = (await stack.gql("{ carriers { code enabled } }"))["data"]["carriers"]
        assert {"code": "ENVOY", "enabled": False} in carriers


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 503}, {"malformed": True}, {"hang": True}],
    ids=["500", "503", "malformed", "timeout"],
)
async def test_envio_failure_is_carrier_unavailable_and_stores_nothing(
    stack: Stack, fault: dict[str, Any]
) -> None:
    await stack.control("POST", "/faults", json={**fault, "times": 1})
    started = time.monotonic()
    body = await stack.gql(CREATE, create_input())
    assert time.monotonic() - started < 5  # the 2 s carrier deadline, not a hang
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["code"] == "CARRIER_UNAVAILABLE" and error["carrier"] == "ENVIO"
    assert body["data"]["createShipment"]["shipment"] is None
    listing = await stack.gql(LIST)
    assert listing["data"]["shipments"]["edges"] == []


async def test_update_cod_reaches_envio(stack: Stack) -> None:
    shipment = await create(stack)
    body = await stack.gql(
        UPDATE,
        {
            "input": {
                "id": shipment["id"],
                "patch": {"cashOnDelivery": {"amount": "50000", "currency": "IDR"}},
                "expectedVersion": 1,
            }
        },
    )
    payload = body["data"]["updateShipment"]
    assert payload["userErrors"] == []
    assert payload["shipment"]["cashOnDelivery"] == {"amount": "50000", "currency": "IDR"}
    assert payload["shipment"]["version"] == 2
    [booked] = await sandbox_shipments(stack)
    assert booked["cod_value"] == 50000


async def test_update_refuses_what_envio_cannot_change(stack: Stack) -> None:
    shipment = await create(stack)
    patch = {"description": "x", "instructions": "y", "pickupAt": stamp(days_ahead(3, 9))}
    body = await stack.gql(UPDATE, {"input": {"id": shipment["id"], "patch": patch}})
    errors = body["data"]["updateShipment"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["patch", "description"], "UNSUPPORTED"),
        (["patch", "instructions"], "UNSUPPORTED"),
        (["patch", "pickupAt"], "UNSUPPORTED"),
    ]
    assert (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]["version"] == 1


async def test_update_with_a_stale_version_conflicts(stack: Stack) -> None:
    shipment = await create(stack)
    await stack.advance(shipment["trackingNumber"], "manifest")
    patch = {"cashOnDelivery": {"amount": "1", "currency": "IDR"}}
    body = await stack.gql(
        UPDATE, {"input": {"id": shipment["id"], "patch": patch, "expectedVersion": 1}}
    )
    [error] = body["data"]["updateShipment"]["userErrors"]
    assert error["code"] == "CONFLICT" and error["field"] == ["expectedVersion"]


async def test_cancel_before_pickup(stack: Stack) -> None:
    shipment = await create(stack)
    body = await stack.gql(CANCEL, {"input": {"id": shipment["id"], "reason": "customer"}})
    payload = body["data"]["cancelShipment"]
    assert payload["userErrors"] == []
    assert payload["shipment"]["status"] == "CANCELLED"
    assert payload["shipment"]["trackingLogs"][0]["message"] == "Cancelled: customer"
    [booked] = await sandbox_shipments(stack)
    assert booked["status"] == "cancelled"
    again = await stack.gql(CANCEL, {"input": {"id": shipment["id"]}})
    assert again["data"]["cancelShipment"]["userErrors"] == []


async def test_cancel_after_pickup_is_invalid_state(stack: Stack) -> None:
    shipment = await create(stack)
    for step in ("manifest", "pickup"):
        await stack.advance(shipment["trackingNumber"], step)
    body = await stack.gql(CANCEL, {"input": {"id": shipment["id"]}})
    [error] = body["data"]["cancelShipment"]["userErrors"]
    assert error["code"] == "INVALID_STATE" and error["carrier"] == "ENVIO"
    current = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
    assert current["status"] == "PICKED_UP"


async def test_track_any_number_and_refresh(stack: Stack) -> None:
    shipment = await create(stack)
    for step in ("manifest", "pickup", "hub"):
        await stack.advance(shipment["trackingNumber"], step)
    query = """query T($n: String!) { track(carrier: ENVIO, trackingNumber: $n) {
        carrier trackingNumber status carrierStatus logs { status carrierStatus message } } }"""
    tracking = (await stack.gql(query, {"n": shipment["trackingNumber"]}))["data"]["track"]
    assert tracking["status"] == "AT_HUB" and tracking["carrierStatus"] == "Console"
    assert tracking["logs"][0]["status"] == "AT_HUB"
    assert len(tracking["logs"]) >= 4
    missing = await stack.gql(query, {"n": "S0000000000"})
    assert missing["data"]["track"] is None
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status carrierStatus version } }"
    refreshed = (await stack.gql(refresh, {"id": shipment["id"]}))["data"]["refreshShipment"]
    assert refreshed["status"] == "AT_HUB" and refreshed["carrierStatus"] == "Console"


async def test_each_envio_log_is_in_the_timeline_once_across_polls(stack: Stack) -> None:
    shipment = await create(stack)
    code = shipment["trackingNumber"]
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status } }"
    for step in ("manifest", "assign_driver", "pickup", "hub", "out_for_delivery", "deliver"):
        await stack.advance(code, step)
        await stack.gql(refresh, {"id": shipment["id"]})
    [simulated] = await sandbox_shipments(stack)
    envio_messages = [log["message"] for log in simulated["logs"]]
    stored = (await stack.gql(GET, {"id": shipment["id"]}))["data"]["shipment"]
    timeline = [log for log in stored["trackingLogs"] if log["message"] in envio_messages]
    assert sorted(log["message"] for log in timeline) == sorted(envio_messages)
    by_message = {log["message"]: log for log in timeline}
    hub = by_message["Pengiriman telah dijadwalkan untuk menuju lokasi penerima"]
    out = by_message["Pengiriman dalam perjalanan menuju lokasi anda"]
    assert (hub["status"], hub["carrierStatus"]) == ("AT_HUB", "Console")
    assert (out["status"], out["carrierStatus"]) == ("OUT_FOR_DELIVERY", "on_delivery")
    query = """query T($n: String!) { track(carrier: ENVIO, trackingNumber: $n) {
        logs { status carrierStatus message occurredAt } } }"""
    tracked = (await stack.gql(query, {"n": code}))["data"]["track"]["logs"]
    assert [log["message"] for log in tracked] == envio_messages


async def test_refresh_when_envio_is_down_is_an_error_with_a_code(stack: Stack) -> None:
    shipment = await create(stack)
    await stack.control("POST", "/faults", json={"status": 502})
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status } }"
    body = await stack.gql(refresh, {"id": shipment["id"]})
    assert body["errors"][0]["extensions"]["code"] == "CARRIER_UNAVAILABLE"
    assert body["errors"][0]["extensions"]["carrier"] == "ENVIO"


async def test_idempotent_create_books_once(stack: Stack) -> None:
    first = await create(stack, idempotencyKey="order-7")
    second = await create(stack, idempotencyKey="order-7")
    assert second["id"] == first["id"]
    assert len(await sandbox_shipments(stack)) == 1
    changed = create_input("SO-OTHER", idempotencyKey="order-7")
    [error] = (await stack.gql(CREATE, changed))["data"]["createShipment"]["userErrors"]
    assert error["code"] == "IDEMPOTENCY_MISMATCH" and error["field"] == ["idempotencyKey"]


async def test_fifty_concurrent_same_key_creates_book_once(stack: Stack) -> None:
    await stack.control("POST", "/faults", json={"latency_ms": 200, "times": 1})
    results = await asyncio.gather(
        *(create(stack, "SO-RACE", idempotencyKey="race") for _ in range(50))
    )
    assert len({shipment["id"] for shipment in results}) == 1
    assert len(await sandbox_shipments(stack)) == 1


async def test_failed_booking_frees_its_idempotency_key(stack: Stack) -> None:
    await stack.control("POST", "/faults", json={"status": 500, "times": 1})
    failed = await stack.gql(CREATE, create_input(idempotencyKey="retry-me"))
    assert failed["data"]["createShipment"]["userErrors"][0]["code"] == "CARRIER_UNAVAILABLE"
    shipment = await create(stack, idempotencyKey="retry-me")
    assert shipment["status"] == "CREATED"


async def test_a_read_survives_one_carrier_hiccup(stack: Stack) -> None:
    shipment = await create(stack)
    await stack.control("POST", "/faults", json={"status": 503, "times": 1})
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status } }"
    body = await stack.gql(refresh, {"id": shipment["id"]})
    assert body["data"]["refreshShipment"]["status"] == "CREATED", body


DELIVERY_FACTS = """query F($id: ID!) { shipment(id: $id) {
    status pickedUpAt receivedBy
    codCollection { status carrierStatus amount { amount currency } }
    proofOfDelivery { photoUrls recipientName recordedAt }
    parcels { items { name quantity weightKg lengthCm widthCm heightCm } } } }"""


async def test_pick_up_time_cash_collected_and_proof_of_delivery(stack: Stack) -> None:
    shipment = await create(stack)
    code = shipment["trackingNumber"]
    for step in ("manifest", "pickup"):
        await stack.advance(code, step)
    refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { pickedUpAt } }"
    picked = (await stack.gql(refresh, {"id": shipment["id"]}))["data"]["refreshShipment"]
    assert picked["pickedUpAt"] is not None
    for step in ("hub", "out_for_delivery", "deliver"):
        await stack.advance(code, step)
    deadline = time.monotonic() + 10
    while True:  # the Delivered callback carries the photos; a refresh does not
        facts = (await stack.gql(DELIVERY_FACTS, {"id": shipment["id"]}))["data"]["shipment"]
        if facts["proofOfDelivery"] is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    [simulated] = await sandbox_shipments(stack)
    assert facts["status"] == "DELIVERED"
    assert facts["codCollection"] == {
        "status": "COLLECTED",
        "carrierStatus": "collected",
        "amount": {"amount": "23000", "currency": "IDR"},
    }
    proof = facts["proofOfDelivery"]
    assert proof["recipientName"] == facts["receivedBy"] == simulated["received_by"]
    assert len(proof["photoUrls"]) == 1 and proof["photoUrls"][0].startswith("http")
    assert facts["pickedUpAt"] == picked["pickedUpAt"]
