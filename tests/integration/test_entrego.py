"""Entrego end to end: GraphQL -> gateway -> simulator over HTTP, memory and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shipgraph.app import create_app
from shipgraph.sandbox.mounts import (
    ENTREGO_ACCESS_KEY,
    ENTREGO_SECRET_KEY,
    ENTREGO_WEBHOOK_TOKEN,
)
from tests.integration.operations import CANCEL, CREATE, GET, UPDATE
from tests.support.fixtures import fixture
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.support.stack import Backend, Stack, running_stack

REFRESH = """
mutation R($id: ID!) {
  refreshShipment(id: $id) { status carrierStatus trackingLogs { status carrierStatus } }
}
"""
TRACK = "query T($n: String!) { track(carrier: ENTREGO, trackingNumber: $n) { status } }"
POLL_S = 0.2

LABELS = """
mutation L($ids: [ID!]!) {
  labels(input: {ids: $ids, format: PDF}) {
    labels { shipment { id } documents { kind format url } }
    userErrors { field code message carrier }
  }
}
"""

APPENDIX_C = {
    "PICKUP_PENDING": "PICKUP_SCHEDULED",
    "PICKED_UP": "PICKED_UP",
    "PICKUP_FAILED": "PICKUP_FAILED",
    "RECEIVED_AT_HUB": "AT_HUB",
    "BAGGED": "AT_HUB",
    "IN_TRANSIT": "IN_TRANSIT",
    "HANDOVER_TO_TRANSPORT": "IN_TRANSIT",
    "HANDOVER_TO_3PL": "IN_TRANSIT",
    "DELIVERY_PENDING": "OUT_FOR_DELIVERY",
    "DELIVERED": "DELIVERED",
    "DELIVERY_FAILED": "DELIVERY_FAILED",
    "READY_FOR_RTC": "RETURNING",
    "RECEIVED_AT_HUB_RTC": "RETURNING",
    "IN_TRANSIT_RTC": "RETURNING",
    "DELIVERY_PENDING_RTC": "RETURNING",
    "RETURNED_TO_SENDER": "RETURNED",
    "REJECTED_AND_RETURNED": "RETURNED",
    "CANCELLED": "CANCELLED",
    "LOST": "LOST",
    "NOT_RECEIVED": "EXCEPTION",
    "REJECTED": "EXCEPTION",
}


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    # 100 concurrent bookings share one event loop with the simulator: on a loaded
    # 2-core machine they need more than the usual 2 s deadline.
    async with running_stack(backend, carrier_timeout_s=8.0) as running:
        yield running


def ph_shipment(reference: str = "PH-1001", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "reference": reference,
        "description": "Shoes",
        "origin": {
            "name": "Juan Cruz",
            "phone": "09171234567",
            "line1": "1 Rizal Ave",
            "village": "Kamuning",
            "city": "Quezon City",
            "province": "Metro Manila",
            "postalCode": "1103",
            "countryCode": "PH",
        },
        "destination": {
            "name": "Maria Santos",
            "phone": "09181234567",
            "line1": "2 Osmena Blvd",
            "village": "Lahug",
            "city": "Cebu City",
            "province": "Cebu",
            "postalCode": "6000",
            "countryCode": "PH",
        },
        "parcels": [{"weightKg": 1.5, "lengthCm": 30, "widthCm": 20, "heightCm": 10}],
        "cashOnDelivery": {"amount": "1500", "currency": "PHP"},
        "instructions": "Call before delivery",
        "carrierOptions": {
            "ENTREGO": {"packageType": "POUCH", "packageSize": "SMALL", "serviceType": "FDY"}
        },
    }
    values.update(changes)
    return values


async def book(stack: Stack, reference: str = "PH-1001", **changes: Any) -> dict[str, Any]:
    body = await stack.gql(
        CREATE, {"input": {"carrier": "ENTREGO", "shipment": ph_shipment(reference, **changes)}}
    )
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def control(stack: Stack, method: str, path: str, **kwargs: Any) -> Any:
    response = await stack.http.request(method, f"{stack.sandbox}/entrego/_control{path}", **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


async def counters(stack: Stack) -> dict[str, Any]:
    found: dict[str, Any] = await control(stack, "GET", "/counters")
    return found


async def test_a_booking(stack: Stack) -> None:
    booked = await book(stack)
    assert booked["carrier"] == "ENTREGO" and booked["status"] == "CREATED"
    assert booked["trackingNumber"] and booked["carrierShipmentId"]
    assert booked["cashOnDelivery"] == {"amount": "1500", "currency": "PHP"}
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    assert order["shipperReference"] == "PH-1001"


async def test_a_pickup_time_books_a_pickup(stack: Stack) -> None:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    booked = await book(stack, "PH-PICKUP", pickupAt=at.isoformat())
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    day = at.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    assert (order["pickupType"], order["scheduledPickupDate"]) == ("PICKUP", day)
    dropped = await book(stack, "PH-DROP")
    order = (await control(stack, "GET", f"/orders/{dropped['trackingNumber']}"))["order"]
    assert order["pickupType"] == "DROP"


PORT_FOR = """
query P($p: String!, $c: String!, $b: String) {
  portCodeFor(province: $p, city: $c, barangay: $b) { code }
}
"""


async def test_port_codes_are_looked_up_for_the_order(stack: Stack) -> None:
    booked = await book(stack, "PH-PORTS")
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    ports = []
    for place in (("Cebu", "Cebu City", "Lahug"), ("Metro Manila", "Quezon City", "Kamuning")):
        answer = await stack.gql(PORT_FOR, dict(zip(("p", "c", "b"), place, strict=True)))
        ports.append(answer["data"]["portCodeFor"]["code"])
    assert [order["portCode"], order["pickupPortCode"]] == ports == ["CEB", ports[1]]


async def test_missing_entrego_options_are_validation_errors(stack: Stack) -> None:
    shipment = ph_shipment(carrierOptions={"ENTREGO": {"serviceType": "FDY"}})
    body = await stack.gql(CREATE, {"input": {"carrier": "ENTREGO", "shipment": shipment}})
    errors = body["data"]["createShipment"]["userErrors"]
    assert ["shipment", "carrierOptions", "ENTREGO", "packageType"] in [e["field"] for e in errors]
    assert all(e["code"] == "VALIDATION" for e in errors)


async def test_the_token_is_fetched_once_for_concurrent_calls_and_after_expiry(
    stack: Stack,
) -> None:
    await asyncio.gather(*(book(stack, f"PH-{n}") for n in range(100)))
    assert (await counters(stack))["authentications"] == 1
    await control(stack, "POST", "/tokens", json={"expireIssued": True})
    await book(stack, "PH-AFTER")
    assert (await counters(stack))["authentications"] == 2


async def test_two_gateways_share_one_token(stack: Stack) -> None:
    if stack.settings.redis_url is None:
        pytest.skip("processes share the token through Redis")
    async with serve(create_app(stack.settings), free_port()) as other:
        other_stack = Stack(other, stack.sandbox, stack.http, stack.settings, stack.app)
        await asyncio.gather(
            *(target.gql("{ portCodes { code } }") for target in [stack, other_stack] * 10)
        )
        await asyncio.gather(
            *(book(target, f"PH-X{n}") for n, target in enumerate([stack, other_stack] * 5))
        )
    assert (await counters(stack))["authentications"] == 1


async def test_a_conditional_update_that_loses_a_race_conflicts(stack: Stack) -> None:
    booked = await book(stack)
    # Someone else changes the instructions at Entrego first.
    auth = await stack.http.post(
        f"{stack.sandbox}/entrego/v1/authenticate",
        json={"accessKey": ENTREGO_ACCESS_KEY, "secretKey": ENTREGO_SECRET_KEY},
    )
    patch = {
        "trackingNumber": booked["trackingNumber"],
        "patchPayload": {"deliveryInstructions": {"newValue": "Leave at guard house"}},
    }
    theirs = await stack.http.patch(
        f"{stack.sandbox}/entrego/v1/sales-order",
        json=patch,
        headers={"Authorization": f"Bearer {auth.json()['jwt']}"},
    )
    assert theirs.status_code == 204, theirs.text
    body = await stack.gql(
        UPDATE,
        {
            "input": {
                "id": booked["id"],
                "patch": {"instructions": "Ring twice"},
                "expectedVersion": booked["version"],
            }
        },
    )
    [error] = body["data"]["updateShipment"]["userErrors"]
    assert error["code"] == "CONFLICT" and error["field"] == ["patch", "instructions"]
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    assert order["deliveryInstructions"] == "Leave at guard house"


async def test_an_update_that_wins_applies(stack: Stack) -> None:
    booked = await book(stack)
    body = await stack.gql(
        UPDATE, {"input": {"id": booked["id"], "patch": {"instructions": "Ring twice"}}}
    )
    assert body["data"]["updateShipment"]["userErrors"] == []
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    assert order["deliveryInstructions"] == "Ring twice"
    refused = await stack.gql(
        UPDATE, {"input": {"id": booked["id"], "patch": {"description": "Boots"}}}
    )
    [error] = refused["data"]["updateShipment"]["userErrors"]
    assert error["code"] == "UNSUPPORTED" and error["field"] == ["patch", "description"]


async def test_cancel_before_pickup_and_refused_after(stack: Stack) -> None:
    first = await book(stack, "PH-C1")
    body = await stack.gql(CANCEL, {"input": {"id": first["id"], "reason": "Changed mind"}})
    assert body["data"]["cancelShipment"]["shipment"]["status"] == "CANCELLED"
    second = await book(stack, "PH-C2")
    for status in ("PICKUP_PENDING", "PICKED_UP"):
        await control(
            stack, "POST", f"/orders/{second['trackingNumber']}/advance", json={"status": status}
        )
    body = await stack.gql(CANCEL, {"input": {"id": second["id"]}})
    [error] = body["data"]["cancelShipment"]["userErrors"]
    assert error["code"] == "INVALID_STATE" and error["carrier"] == "ENTREGO"


@pytest.mark.parametrize(("status", "expected"), APPENDIX_C.items())
async def test_every_appendix_c_status_is_mapped(stack: Stack, status: str, expected: str) -> None:
    booked = await book(stack)
    event = fixture("entrego", "webhook")
    event.update(status=status, tracking_number=booked["trackingNumber"])
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/entrego",
        json=event,
        headers={"Authorization": f"Bearer {ENTREGO_WEBHOOK_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    shipment = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert shipment["status"] == expected
    assert shipment["carrierStatus"] == status


async def test_a_failure_carries_its_reason_code_and_text(stack: Stack) -> None:
    booked = await book(stack)
    tracking = booked["trackingNumber"]
    for status in ("RECEIVED_AT_HUB", "DELIVERY_PENDING"):
        await control(stack, "POST", f"/orders/{tracking}/advance", json={"status": status})
    await control(
        stack,
        "POST",
        f"/orders/{tracking}/advance",
        json={"status": "DELIVERY_FAILED", "reasonCode": "1A"},
    )
    query = (
        "query G($id: ID!) { shipment(id: $id) { status "
        "trackingLogs { status carrierStatus reasonCode reason message } } }"
    )
    shipment = (await stack.gql(query, {"id": booked["id"]}))["data"]["shipment"]
    assert shipment["status"] == "DELIVERY_FAILED"
    failed = shipment["trackingLogs"][0]
    assert failed["reasonCode"] == "1A" and failed["reason"]


async def test_a_bad_webhook_token_is_refused(stack: Stack) -> None:
    booked = await book(stack)
    event = fixture("entrego", "webhook")
    event.update(status="DELIVERED", tracking_number=booked["trackingNumber"])
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/entrego", json=event, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    shipment = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert shipment["status"] == "CREATED"


async def test_browsing_places_makes_one_upstream_call_per_level(stack: Stack) -> None:
    query = """query L($parent: ID, $search: String) {
      locations(parentId: $parent, search: $search) { id name level isoCode }
    }"""
    answers = await asyncio.gather(*(stack.gql(query, {"search": "metro"}) for _ in range(200)))
    [metro] = answers[0]["data"]["locations"]
    assert metro["name"] == "Metro Manila" and metro["level"] == "PROVINCE"
    assert all(answer == answers[0] for answer in answers)
    towns = await asyncio.gather(*(stack.gql(query, {"parent": metro["id"]}) for _ in range(50)))
    town = next(t for t in towns[0]["data"]["locations"] if t["name"] == "Quezon City")
    assert town["level"] == "MUNICIPALITY"
    barangays = await asyncio.gather(*(stack.gql(query, {"parent": town["id"]}) for _ in range(50)))
    names = [b["name"] for b in barangays[0]["data"]["locations"]]
    assert "Kamuning" in names
    calls = (await counters(stack))["locationCalls"]
    assert calls["/v1/locations/provinces"] == 1
    assert calls[f"/v1/locations/provinces/{metro['id']}/municipalities"] == 1
    assert calls[f"/v1/locations/municipalities/{town['id']}/barangays"] == 1


async def test_children_load_once_per_place(stack: Stack) -> None:
    query = "{ locations { id name children { id name } } }"
    first, second = await asyncio.gather(stack.gql(query), stack.gql(query))
    provinces = first["data"]["locations"]
    assert second == first and len(provinces) > 50
    assert all(province["children"] for province in provinces)
    calls = (await counters(stack))["locationCalls"]
    towns = [path for path in calls if path.endswith("/municipalities")]
    assert len(towns) == len(provinces)
    assert all(calls[path] == 1 for path in towns)


async def test_places_are_served_stale_when_entrego_is_down(stack: Stack) -> None:
    query = '{ locations(search: "cebu") { name } }'
    first = await stack.gql(query)
    await control(stack, "POST", "/faults", json={"status": 503})
    again = await stack.gql(query)
    assert again == first
    other = await stack.gql('{ portCodes(island: "Mindanao") { code } }')
    assert other["errors"][0]["extensions"]["code"] == "CARRIER_UNAVAILABLE"


async def test_port_codes_and_address_clean_up(stack: Stack) -> None:
    body = await stack.gql(
        "{ portCodes { code name island } "
        'portCodeFor(province: "Metro Manila", city: "Quezon City", barangay: "Kamuning") { code } '
        'cleanAddress(address: "2 Osmena Blvd, Lahug, Cebu City, Cebu") '
        "{ provinceId provinceName cityId cityName } }"
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["portCodes"] and all(port["code"] for port in data["portCodes"])
    assert data["portCodeFor"]["code"]
    assert data["cleanAddress"]["provinceName"] == "Cebu"
    assert data["cleanAddress"]["cityName"] == "Cebu City"


async def test_port_code_and_province_lookups_are_cached(stack: Stack) -> None:
    query = """query P($iso: String, $name: String) {
      portCode(code: "SOU") { code name island }
      province(isoCode: $iso, name: $name) { id name isoCode level }
      portCodeFor(province: "Metro Manila", city: "Quezon City", barangay: "Kamuning") {
        code barangayCluster
      }
    }"""
    by_iso = await asyncio.gather(*(stack.gql(query, {"iso": "PH-NEC"}) for _ in range(20)))
    assert "errors" not in by_iso[0], by_iso[0]
    data = by_iso[0]["data"]
    assert data["portCode"] == {
        "code": "SOU",
        "name": "South Metro Manila Hub",
        "island": "LUZON",
    }
    assert data["province"]["name"] == "Negros Occidental"
    assert data["province"]["level"] == "PROVINCE"
    assert data["portCodeFor"]["code"] == "NOR"
    assert data["portCodeFor"]["barangayCluster"].startswith("NOR-")
    by_name = await stack.gql(query, {"name": "negros occidental"})
    assert by_name["data"]["province"] == data["province"]
    calls = (await counters(stack))["locationCalls"]
    assert calls["/v1/locations/port-codes/SOU"] == 1
    assert calls["/v1/locations/provinces/iso/PH-NEC"] == 1
    missing = await stack.gql(
        '{ portCode(code: "XXX") { code } province(name: "Atlantis") { id } }'
    )
    assert missing["data"] == {"portCode": None, "province": None}
    both = await stack.gql('{ province(isoCode: "PH-NEC", name: "Negros Occidental") { id } }')
    assert both["errors"][0]["extensions"]["code"] == "VALIDATION"
    long = "x" * 100_000
    for bounded in (
        "query($s: String!) { portCode(code: $s) { code } }",
        "query($s: String) { province(isoCode: $s) { id } }",
        "query($s: String) { province(name: $s) { id } }",
    ):
        refused = await stack.gql(bounded, {"s": long})
        assert refused["errors"][0]["extensions"]["code"] == "VALIDATION"
    other = await stack.gql('{ province(carrier: BORZO, name: "Cebu") { id } }')
    assert other["errors"][0]["extensions"]["code"] == "UNSUPPORTED"


async def test_waybill_pdf_url(stack: Stack) -> None:
    first, second = await book(stack, "PH-W1"), await book(stack, "PH-W2")
    body = await stack.gql(LABELS, {"ids": [first["id"], second["id"]]})
    payload = body["data"]["labels"]
    assert payload["userErrors"] == []
    urls = set()
    for label in payload["labels"]:
        [document] = label["documents"]
        assert document["kind"] == "WAYBILL" and document["format"] == "PDF"
        urls.add(document["url"])
    [url] = urls  # one waybill request for both
    pdf = await stack.http.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_waybill_phone_masking_is_the_callers_choice(stack: Stack) -> None:
    options = {"packageType": "POUCH", "packageSize": "SMALL", "serviceType": "FDY"}
    shown = await book(
        stack, "PH-W3", carrierOptions={"ENTREGO": {**options, "contactNumberMasked": False}}
    )
    masked = await book(stack, "PH-W4")
    body = await stack.gql(LABELS, {"ids": [shown["id"], masked["id"]]})
    payload = body["data"]["labels"]
    assert payload["userErrors"] == []
    urls = {label["shipment"]["id"]: label["documents"][0]["url"] for label in payload["labels"]}
    pdfs = {key: (await stack.http.get(url)).content for key, url in urls.items()}
    # The destination's 09181234567, as Entrego writes it (+63...), masked or not.
    assert b"+639181234567" in pdfs[shown["id"]]
    assert b"+639181234567" not in pdfs[masked["id"]] and b"4567" in pdfs[masked["id"]]


async def test_what_entrego_did_apply_is_kept_when_the_rest_conflicts(stack: Stack) -> None:
    booked = await book(stack)
    auth = await stack.http.post(
        f"{stack.sandbox}/entrego/v1/authenticate",
        json={"accessKey": ENTREGO_ACCESS_KEY, "secretKey": ENTREGO_SECRET_KEY},
    )
    theirs = await stack.http.patch(
        f"{stack.sandbox}/entrego/v1/sales-order",
        json={
            "trackingNumber": booked["trackingNumber"],
            "patchPayload": {"deliveryInstructions": {"newValue": "Leave at guard house"}},
        },
        headers={"Authorization": f"Bearer {auth.json()['jwt']}"},
    )
    assert theirs.status_code == 204, theirs.text
    parcels = [{"weightKg": 2.5, "lengthCm": 30, "widthCm": 20, "heightCm": 10}]
    query = """mutation U($input: UpdateShipmentInput!) { updateShipment(input: $input) {
      shipment { version parcels { weightKg } }
      userErrors { field code } } }"""
    body = await stack.gql(
        query,
        {"input": {"id": booked["id"], "patch": {"instructions": "Ring", "parcels": parcels}}},
    )
    payload = body["data"]["updateShipment"]
    assert payload["userErrors"] == [{"field": ["patch", "instructions"], "code": "CONFLICT"}]
    assert payload["shipment"]["parcels"][0]["weightKg"] == 2.5
    assert payload["shipment"]["version"] > booked["version"]
    order = (await control(stack, "GET", f"/orders/{booked['trackingNumber']}"))["order"]
    assert order["weightActual"] == 2.5
    assert order["deliveryInstructions"] == "Leave at guard house"


async def quietly(stack: Stack, tracking: str, **step: Any) -> str:
    """One step at the simulator whose webhook never reaches the gateway."""
    answer = await control(
        stack, "POST", f"/orders/{tracking}/advance", json={**step, "webhook": False}
    )
    assert answer["webhooks"] == []
    status: str = answer["status"]
    return status


async def test_refresh_reads_the_step_whose_webhook_never_came(stack: Stack) -> None:
    booked = await book(stack)
    assert await quietly(stack, booked["trackingNumber"]) == "RECEIVED_AT_HUB"
    stored = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert stored["status"] == "CREATED"
    body = await stack.gql(REFRESH, {"id": booked["id"]})
    refreshed = body["data"]["refreshShipment"]
    assert (refreshed["status"], refreshed["carrierStatus"]) == ("AT_HUB", "RECEIVED_AT_HUB")
    assert refreshed["trackingLogs"][0] == {"status": "AT_HUB", "carrierStatus": "RECEIVED_AT_HUB"}
    await quietly(stack, booked["trackingNumber"], status="LOST")
    again = (await stack.gql(REFRESH, {"id": booked["id"]}))["data"]["refreshShipment"]
    assert (again["status"], again["carrierStatus"]) == ("LOST", "LOST")


async def test_refresh_of_an_order_entrego_lost_is_not_found(stack: Stack) -> None:
    booked = await book(stack)
    await control(stack, "POST", "/reset")
    body = await stack.gql(REFRESH, {"id": booked["id"]})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["carrier"] == "ENTREGO"


async def test_track_by_number_is_unsupported_and_says_why(stack: Stack) -> None:
    booked = await book(stack)
    body = await stack.gql(TRACK, {"n": booked["trackingNumber"]})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNSUPPORTED"
    assert error["extensions"]["carrier"] == "ENTREGO"
    assert "refreshShipment" in error["message"]


async def test_the_poller_catches_up_a_missed_webhook(backend: Backend) -> None:
    async with running_stack(backend, poll_s=POLL_S) as stack:
        booked = await book(stack)
        await quietly(stack, booked["trackingNumber"])
        for _ in range(100):
            shipment = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
            if shipment["status"] != "CREATED":
                break
            await asyncio.sleep(POLL_S / 2)
        assert (shipment["status"], shipment["carrierStatus"]) == ("AT_HUB", "RECEIVED_AT_HUB")
