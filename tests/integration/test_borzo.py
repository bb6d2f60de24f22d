"""Borzo end to end: GraphQL -> gateway -> simulator over HTTP, memory and Redis."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from shipgraph.app import create_app
from shipgraph.config import load_settings
from shipgraph.domain import Shipment, ShipmentStatus
from shipgraph.sandbox.mounts import BORZO_CALLBACK_SECRET, SandboxWiring, build_sandboxes
from tests.integration.operations import CANCEL, CREATE, GET, SUBSCRIBE, UPDATE, shipment_input
from tests.support.clock import days_ahead, stamp
from tests.support.redis_server import free_port
from tests.support.servers import serve
from tests.support.stack import KEYS, Backend, Stack, running_stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket

RATES = """
query Q($input: RatesInput!) {
  rates(input: $input) {
    rates {
      id carrier service serviceLevel expiresAt warnings
      total { amount currency }
      charges { kind amount { amount currency } }
    }
    errors { carrier code message retryable }
  }
}
"""

LABELS = """
mutation L($ids: [ID!]!, $format: DocumentFormat) {
  labels(input: {ids: $ids, format: $format}) {
    labels { shipment { id } documents { kind format content url } }
    userErrors { field code message carrier }
  }
}
"""

COURIER = """subscription C($id: ID!) {
  courierLocation(id: $id) { name phone location { latitude longitude } }
}"""


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    async with running_stack(backend, courier_poll_s=0.05) as running:
        yield running


def borzo_shipment(reference: str = "SO-B1", **changes: Any) -> dict[str, Any]:
    return shipment_input(reference, description="Documents", **changes)


async def quote(stack: Stack, shipment: dict[str, Any]) -> list[dict[str, Any]]:
    body = await stack.gql(RATES, {"input": {"shipment": shipment, "carriers": ["BORZO"]}})
    assert body["data"]["rates"]["errors"] == [], body
    rates: list[dict[str, Any]] = body["data"]["rates"]["rates"]
    return rates


async def book(stack: Stack, shipment: dict[str, Any], **how: Any) -> dict[str, Any]:
    how = how or {"carrier": "BORZO"}
    body = await stack.gql(CREATE, {"input": {"shipment": shipment, **how}})
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked: dict[str, Any] = payload["shipment"]
    return booked


async def orders(stack: Stack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await stack.http.get(f"{stack.sandbox}/borzo/_control/orders")
    ).json()["orders"]
    return found


async def settled(stack: Stack, shipment_id: str) -> int:
    """The shipment's version once the simulator has delivered every callback."""
    await stack.http.get(f"{stack.sandbox}/borzo/_control/callbacks", params={"wait": 1})
    version: int = (await stack.gql(GET, {"id": shipment_id}))["data"]["shipment"]["version"]
    return version


async def advance(stack: Stack, order_id: str, *steps: str) -> None:
    for step in steps:
        response = await stack.http.post(
            f"{stack.sandbox}/borzo/_control/orders/{order_id}/advance", json={"step": step}
        )
        assert response.status_code == 200, response.text


async def test_a_quote_has_each_vehicle_with_its_charges(stack: Stack) -> None:
    rates = await quote(stack, borzo_shipment())
    assert {rate["service"] for rate in rates} == {"motorbike", "car"}
    totals = [float(rate["total"]["amount"]) for rate in rates]
    assert totals == sorted(totals)
    for rate in rates:
        assert rate["id"].startswith("BORZO:")
        assert rate["carrier"] == "BORZO" and rate["serviceLevel"] == "INSTANT"
        assert rate["total"]["currency"] == "IDR" and rate["expiresAt"]
        assert "BASE" in {charge["kind"] for charge in rate["charges"]}
        assert all(charge["amount"]["currency"] == "IDR" for charge in rate["charges"])


async def test_booking_a_quote_books_that_offer(stack: Stack) -> None:
    shipment = borzo_shipment()
    car = next(rate for rate in await quote(stack, shipment) if rate["service"] == "car")
    booked = await book(stack, shipment, rateId=car["id"])
    assert booked["carrier"] == "BORZO" and booked["status"] == "CREATED"
    [order] = await orders(stack)
    assert str(order["order_id"]) == booked["carrierShipmentId"]
    assert order["vehicle_type_id"] == 7
    assert order["matter"] == "Documents"


async def test_a_quote_for_another_shipment_is_refused(stack: Stack) -> None:
    rate = (await quote(stack, borzo_shipment()))[0]
    other = borzo_shipment("SO-B2")
    other["destination"]["line1"] = "Jl. Sudirman No. 1"
    body = await stack.gql(CREATE, {"input": {"shipment": other, "rateId": rate["id"]}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["rateId"] and error["code"] == "VALIDATION"
    assert await orders(stack) == []


async def test_borzo_parameter_errors_point_at_the_input(stack: Stack) -> None:
    shipment = borzo_shipment()
    shipment["destination"].update(latitude=51.5, longitude=-0.12)
    body = await stack.gql(CREATE, {"input": {"shipment": shipment, "carrier": "BORZO"}})
    errors = body["data"]["createShipment"]["userErrors"]
    assert {tuple(error["field"]) for error in errors} == {
        ("shipment", "destination", "latitude"),
        ("shipment", "destination", "longitude"),
    }
    assert all(error["carrier"] == "BORZO" for error in errors)
    missing = borzo_shipment()
    del missing["description"]
    body = await stack.gql(CREATE, {"input": {"shipment": missing, "carrier": "BORZO"}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["field"] == ["shipment", "description"]


async def test_an_edit_keeps_every_point(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    version = await settled(stack, booked["id"])
    cod = {"amount": "50000", "currency": "IDR"}
    patch = {"description": "Dokumen penting", "cashOnDelivery": cod}
    body = await stack.gql(
        UPDATE, {"input": {"id": booked["id"], "patch": patch, "expectedVersion": version}}
    )
    payload = body["data"]["updateShipment"]
    assert payload["userErrors"] == []
    # +1 for the edit, +1 more when Borzo's order_changed callback lands first
    assert payload["shipment"]["version"] in (version + 1, version + 2)
    assert payload["shipment"]["cashOnDelivery"] == cod
    [order] = await orders(stack)
    assert order["matter"] == "Dokumen penting"
    assert len(order["points"]) == 2
    assert order["points"][1]["taking_amount"] == "50000.00"


async def test_an_edit_of_a_return_order_keeps_its_return_point(stack: Stack) -> None:
    options = {"BORZO": {"is_return_required": True}}
    booked = await book(stack, borzo_shipment(carrierOptions=options))
    version = await settled(stack, booked["id"])
    patch = {"description": "Dokumen penting"}
    body = await stack.gql(
        UPDATE, {"input": {"id": booked["id"], "patch": patch, "expectedVersion": version}}
    )
    assert body["data"]["updateShipment"]["userErrors"] == [], body
    [order] = await orders(stack)
    assert order["matter"] == "Dokumen penting"
    assert [p["is_return_point"] for p in order["points"]] == [False, False, True]


async def test_a_cod_edit_of_a_buyout_order_is_taken(stack: Stack) -> None:
    options = {"BORZO": {"origin": {"buyoutAmount": "20000"}}}
    cod = {"amount": "23000", "currency": "IDR"}
    booked = await book(stack, borzo_shipment(carrierOptions=options, cashOnDelivery=cod))
    version = await settled(stack, booked["id"])
    patch = {"cashOnDelivery": {"amount": "30000", "currency": "IDR"}}
    body = await stack.gql(
        UPDATE, {"input": {"id": booked["id"], "patch": patch, "expectedVersion": version}}
    )
    assert body["data"]["updateShipment"]["userErrors"] == [], body
    [order] = await orders(stack)
    last = order["points"][-1]
    assert (last["taking_amount"], last["is_cod_cash_voucher_required"]) == ("30000.00", False)


async def test_cancel_before_pickup_and_refused_after(stack: Stack) -> None:
    first = await book(stack, borzo_shipment("SO-C1"))
    body = await stack.gql(CANCEL, {"input": {"id": first["id"]}})
    assert body["data"]["cancelShipment"]["shipment"]["status"] == "CANCELLED"
    second = await book(stack, borzo_shipment("SO-C2"))
    await advance(
        stack,
        second["carrierShipmentId"],
        "available",
        "courier_assigned",
        "courier_departed",
        "courier_at_pickup",
        "parcel_picked_up",
    )
    body = await stack.gql(CANCEL, {"input": {"id": second["id"]}})
    [error] = body["data"]["cancelShipment"]["userErrors"]
    assert error["code"] == "INVALID_STATE" and error["carrier"] == "BORZO"
    current = (await stack.gql(GET, {"id": second["id"]}))["data"]["shipment"]
    assert current["status"] == "PICKED_UP"


TRACK = """query T($n: String!) {
  track(carrier: BORZO, trackingNumber: $n) {
    trackingNumber status carrierStatus logs { status carrierStatus }
  }
}"""


async def test_track_by_the_tracking_number_handed_out_and_by_the_order_id(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    await advance(stack, booked["carrierShipmentId"], "available", "courier_assigned")
    assert booked["trackingNumber"] != booked["carrierShipmentId"]  # order_name, order_id
    for number in (booked["trackingNumber"], booked["carrierShipmentId"]):
        body = await stack.gql(TRACK, {"n": number})
        assert "errors" not in body, body
        tracked = body["data"]["track"]
        assert tracked["trackingNumber"] == booked["trackingNumber"], number
        assert (tracked["status"], tracked["carrierStatus"]) == (
            "PICKUP_SCHEDULED",
            "courier_assigned",
        )
    # The one Borzo account serves every tenant: another's number is no one's to them.
    other = await stack.gql(TRACK, {"n": booked["trackingNumber"]}, tenant="globex")
    assert other == {"data": {"track": None}}


async def test_a_reattempt_sends_a_courier_to_collect_the_parcel_again(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    order_id = booked["carrierShipmentId"]
    await advance(stack, order_id, "available", "courier_assigned", "courier_departed")
    await advance(stack, order_id, "courier_at_pickup", "parcel_picked_up", "active")
    await advance(stack, order_id, "courier_arrived", "reattempt_planned")

    async def shipment() -> dict[str, Any]:
        await settled(stack, booked["id"])
        found: dict[str, Any] = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
        return found

    assert (await shipment())["status"] == "DELIVERY_FAILED"
    await advance(stack, order_id, "reattempt_courier_assigned", "reattempt_courier_departed")
    current = await shipment()
    said = [(log["status"], log["carrierStatus"]) for log in current["trackingLogs"]]
    assert ("PICKUP_SCHEDULED", "reattempt_courier_assigned") in said
    assert ("PICKUP_SCHEDULED", "reattempt_courier_departed") in said
    assert ("OUT_FOR_DELIVERY", "reattempt_courier_assigned") not in said
    # The domain never moves a status back a stage: the failed delivery stands until
    # the courier has the parcel again.
    assert current["status"] == "DELIVERY_FAILED"
    await advance(stack, order_id, "reattempt_courier_picked_up")
    current = await shipment()
    assert (current["status"], current["carrierStatus"]) == (
        "OUT_FOR_DELIVERY",
        "reattempt_courier_picked_up",
    )
    await advance(stack, order_id, "reattempt_finished")
    assert (await shipment())["status"] == "DELIVERED"


async def test_signed_callbacks_reach_a_subscriber(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(SUBSCRIBE, {"id": booked["id"]})
        await asyncio.sleep(0.2)
        await advance(stack, booked["carrierShipmentId"], "available", "courier_assigned")
        seen = []
        while "PICKUP_SCHEDULED" not in seen:
            event = (await socket.next_data())["data"]["shipmentUpdated"]
            seen.append(event["shipment"]["status"])
        assert event["shipment"]["courier"]["name"]
    finally:
        await socket.close()


async def test_a_forged_callback_is_refused_and_stores_nothing(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    version = await settled(stack, booked["id"])
    [order] = await orders(stack)
    order["status"] = "completed"
    order["points"][-1]["delivery"] = {"status": "finished"}
    callback = {"event_datetime": stamp(days_ahead(-1, 10)), "event_type": "order_changed"}
    raw = json.dumps({**callback, "order": order}).encode()
    for signature in ("", "0" * 64, hmac.new(b"wrong", raw, hashlib.sha256).hexdigest()):
        response = await stack.http.post(
            f"{stack.gateway}/webhooks/borzo",
            content=raw,
            headers={"X-DV-Signature": signature, "content-type": "application/json"},
        )
        assert response.status_code == 401
    assert (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]["version"] == version
    good = hmac.new(BORZO_CALLBACK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = await stack.http.post(
        f"{stack.gateway}/webhooks/borzo", content=raw, headers={"X-DV-Signature": good}
    )
    assert response.status_code == 200
    for _ in range(2):  # a retry of the same body is applied once
        again = await stack.http.post(
            f"{stack.gateway}/webhooks/borzo", content=raw, headers={"X-DV-Signature": good}
        )
        assert again.status_code == 200
    current = (await stack.gql(GET, {"id": booked["id"]}))["data"]["shipment"]
    assert current["version"] == version + 1
    assert current["status"] == "DELIVERED"


async def test_courier_positions_stream_while_under_way(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    order_id = booked["carrierShipmentId"]
    await advance(stack, order_id, "available", "courier_assigned", "courier_departed")
    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(COURIER, {"id": booked["id"]})
        first = (await socket.next_data())["data"]["courierLocation"]
        assert first["name"] and first["location"]
        moved = await stack.http.post(
            f"{stack.sandbox}/borzo/_control/orders/{order_id}/courier", json={"fraction": 0.9}
        )
        assert moved.status_code == 200
        second = (await socket.next_data())["data"]["courierLocation"]
        assert second["location"] != first["location"]
    finally:
        await socket.close()


@pytest.mark.parametrize(("format", "magic"), [("PDF", b"%PDF"), ("ZPL", b"^XA")])
async def test_labels_in_both_formats(stack: Stack, format: str, magic: bytes) -> None:
    first = await book(stack, borzo_shipment("SO-L1"))
    second = await book(stack, borzo_shipment("SO-L2"))
    body = await stack.gql(LABELS, {"ids": [first["id"], second["id"]], "format": format})
    payload = body["data"]["labels"]
    assert payload["userErrors"] == []
    assert [label["shipment"]["id"] for label in payload["labels"]] == [first["id"], second["id"]]
    for label in payload["labels"]:
        [document] = label["documents"]
        assert document["kind"] == "LABEL" and document["format"] == format
        assert base64.b64decode(document["content"]).startswith(magic)


async def test_the_request_budget_holds_across_two_gateways(stack: Stack) -> None:
    if stack.settings.redis_url is None:
        pytest.skip("one budget across processes needs Redis")
    query = '{ track(carrier: BORZO, trackingNumber: "999") { status } }'
    async with serve(create_app(stack.settings), free_port()) as other:
        other_stack = Stack(other, stack.sandbox, stack.http, stack.settings, stack.app)
        answers = await asyncio.gather(*(target.gql(query) for target in [stack, other_stack] * 60))
    limited = [a for a in answers if a.get("errors")]
    assert len(answers) - len(limited) == 100
    for answer in limited:
        extensions = answer["errors"][0]["extensions"]
        assert extensions["code"] == "RATE_LIMITED" and extensions["retryable"] is True
        assert "allows 100 per 1 minute" in answer["errors"][0]["message"]  # ours, not Borzo's


KEMANG_STOP = {
    "name": "Rina",
    "phone": "6281234567890",
    "line1": "Jl. Kemang Raya No. 8",
    "city": "Jakarta Selatan",
    "countryCode": "ID",
}
"""An extra stop in carrierOptions.BORZO.points, as an AddressInput."""


async def test_a_multi_stop_booking_with_cash_on_delivery(stack: Stack) -> None:
    stop = {**KEMANG_STOP, "instructions": "Titip di satpam"}
    shipment = borzo_shipment(carrierOptions={"BORZO": {"vehicle_type_id": 7, "points": [stop]}})
    booked = await book(stack, shipment)
    [order] = await orders(stack)
    assert str(order["order_id"]) == booked["carrierShipmentId"]
    assert order["vehicle_type_id"] == 7
    addresses = [point["address"] for point in order["points"]]
    assert len(addresses) == 3 and "Kemang" in addresses[1]
    destination = order["points"][-1]
    assert destination["taking_amount"] == "23000.00"
    assert destination["is_cod_cash_voucher_required"] is True


async def test_a_multi_drop_booking_with_each_stops_cash_and_floor(stack: Stack) -> None:
    stop = {
        **KEMANG_STOP,
        "takingAmount": "15000",
        "floorNumber": "2",
        "apartmentNumber": "2B",
        "packages": [{"description": "Kue", "itemsCount": 3, "itemPaymentAmount": 5000}],
    }
    options = {
        "points": [stop],
        "destination": {"buildingNumber": "Tower A", "floorNumber": "12", "apartmentNumber": "12F"},
        "is_contact_person_notification_enabled": True,
    }
    booked = await book(stack, borzo_shipment(carrierOptions={"BORZO": options}))
    [order] = await orders(stack)
    assert str(order["order_id"]) == booked["carrierShipmentId"]
    assert order["is_contact_person_notification_enabled"] is True
    _, middle, last = order["points"]
    assert (middle["taking_amount"], middle["is_cod_cash_voucher_required"]) == ("15000.00", True)
    assert (middle["floor_number"], middle["apartment_number"]) == ("2", "2B")
    [package] = middle["packages"]
    assert (package["description"], package["items_count"]) == ("Kue", 3)
    assert package["item_payment_amount"] == "5000.00"
    assert last["taking_amount"] == "23000.00"  # the shipment's own cashOnDelivery
    assert (last["building_number"], last["floor_number"]) == ("Tower A", "12")
    assert last["apartment_number"] == "12F"


async def test_a_bad_stop_amount_is_refused_at_its_path(stack: Stack) -> None:
    stop = {"phone": "6281234567890", "line1": "Jl. Kemang Raya No. 8", "takingAmount": "-1"}
    shipment = borzo_shipment(carrierOptions={"BORZO": {"points": [stop]}})
    body = await stack.gql(CREATE, {"input": {"shipment": shipment, "carrier": "BORZO"}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["code"] == "VALIDATION"
    assert error["field"] == ["shipment", "carrierOptions", "BORZO", "points", "0", "takingAmount"]
    assert await orders(stack) == []


async def test_unknown_borzo_options_are_refused_with_their_path(stack: Stack) -> None:
    shipment = borzo_shipment(carrierOptions={"BORZO": {"vehicle": "truck"}})
    body = await stack.gql(CREATE, {"input": {"shipment": shipment, "carrier": "BORZO"}})
    [error] = body["data"]["createShipment"]["userErrors"]
    assert error["code"] == "VALIDATION"
    assert error["field"][:3] == ["shipment", "carrierOptions", "BORZO"]
    assert await orders(stack) == []


# --- proof of delivery -----------------------------------------------------------------------

PICKUP_STEPS = ("available", "courier_assigned", "courier_departed", "courier_at_pickup")
DROP_STEPS = ("active", "courier_arrived", "finished")


async def stored(stack: Stack, shipment_id: str) -> Shipment:
    """The shipment as the store has it (GraphQL does not show proof of delivery yet)."""
    found = await stack.app.state.services.store.get("acme", shipment_id)
    assert found is not None
    return found


async def assert_delivered_with_proof(stack: Stack, shipment_id: str, order_id: str) -> None:
    [order] = await orders(stack)
    drop = order["points"][-1]
    files = f"{stack.sandbox}/borzo"
    shipment = await stored(stack, shipment_id)
    assert shipment.status == ShipmentStatus.DELIVERED
    proof = shipment.proof_of_delivery
    assert proof is not None
    assert proof.photo_urls == (
        f"{files}/photos/{order_id}/{drop['point_id']}/place.png",
        f"{files}/photos/{order_id}/{drop['point_id']}/sign.png",
    )
    assert proof.recipient_name == "Sapta Apriyana"
    assert proof.recorded_at is not None and proof.location is None
    assert shipment.tracking_url == f"{files}/track/{order_id}/{drop['point_id']}"
    assert shipment.picked_up_at is not None
    photo = await stack.http.get(proof.photo_urls[0])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"


async def test_the_callbacks_of_a_delivery_carry_its_proof(stack: Stack) -> None:
    booked = await book(stack, borzo_shipment())
    order_id = booked["carrierShipmentId"]
    await advance(stack, order_id, *PICKUP_STEPS, "parcel_picked_up", *DROP_STEPS)
    await settled(stack, booked["id"])
    await assert_delivered_with_proof(stack, booked["id"], order_id)


@asynccontextmanager
async def stack_without_callbacks(backend: Backend) -> AsyncIterator[Stack]:
    """running_stack's gateway and simulators, but the simulators send no callback."""
    sandbox_port, gateway_port = free_port(), free_port()
    wiring = SandboxWiring(base_url=f"http://127.0.0.1:{sandbox_port}", gateway_url=None)
    keys = ",".join(f"{tenant}:{key}" for tenant, key in KEYS.items())
    config = load_settings(
        **{**wiring.gateway_settings(), "api_keys": keys, **backend.settings()},
        carrier_timeout_s=2.0,
    )
    async with AsyncExitStack() as exits:
        sandbox = await exits.enter_async_context(
            serve(build_sandboxes(wiring).app(), sandbox_port)
        )
        app = create_app(config)
        gateway = await exits.enter_async_context(serve(app, gateway_port))
        http = await exits.enter_async_context(httpx.AsyncClient(timeout=10))
        yield Stack(gateway=gateway, sandbox=sandbox, http=http, settings=config, app=app)


async def test_a_refresh_gives_the_proof_when_no_callback_came(backend: Backend) -> None:
    async with stack_without_callbacks(backend) as stack:
        booked = await book(stack, borzo_shipment())
        order_id = booked["carrierShipmentId"]
        await advance(stack, order_id, *PICKUP_STEPS, "parcel_picked_up", *DROP_STEPS)
        assert (await stored(stack, booked["id"])).proof_of_delivery is None
        refresh = "mutation R($id: ID!) { refreshShipment(id: $id) { status } }"
        body = await stack.gql(refresh, {"id": booked["id"]})
        assert body["data"]["refreshShipment"] == {"status": "DELIVERED"}, body
        await assert_delivered_with_proof(stack, booked["id"], order_id)


async def test_a_stop_finished_is_not_the_shipments_delivery(stack: Stack) -> None:
    stop = {"name": "Rina", "phone": "6281234567890", "line1": "Jl. Kemang Raya No. 8"}
    stop |= {"city": "Jakarta Selatan", "countryCode": "ID"}
    shipment = borzo_shipment(carrierOptions={"BORZO": {"points": [stop]}})
    booked = await book(stack, shipment)
    order_id = booked["carrierShipmentId"]
    await advance(stack, order_id, *PICKUP_STEPS, "parcel_picked_up", *DROP_STEPS)
    await settled(stack, booked["id"])
    at_the_stop = await stored(stack, booked["id"])
    assert at_the_stop.status == ShipmentStatus.PICKED_UP
    assert at_the_stop.proof_of_delivery is None and at_the_stop.delivered_at is None
    await advance(stack, order_id, *DROP_STEPS)
    await settled(stack, booked["id"])
    await assert_delivered_with_proof(stack, booked["id"], order_id)


PAYMENT_OPTIONS = """query P($carrier: CarrierCode!) { paymentOptions(carrier: $carrier) {
    methods cards { id numberMask expiresOn cardType } } }"""


async def test_a_booking_pays_by_a_card_the_account_lists(stack: Stack) -> None:
    found = (await stack.gql(PAYMENT_OPTIONS, {"carrier": "BORZO"}))["data"]["paymentOptions"]
    assert "bank_card" in found["methods"]
    [card] = found["cards"]
    assert card["numberMask"] and card["expiresOn"] and len(card["expiresOn"]) == 10
    options = {"BORZO": {"payment_method": "bank_card", "bank_card_id": int(card["id"])}}
    booked = await book(stack, borzo_shipment("SO-CARD", carrierOptions=options))
    [order] = [o for o in await orders(stack) if str(o["order_id"]) == booked["carrierShipmentId"]]
    assert (order["payment_method"], order["bank_card_id"]) == ("bank_card", int(card["id"]))


async def test_a_carrier_without_payment_options_says_unsupported(stack: Stack) -> None:
    body = await stack.gql(PAYMENT_OPTIONS, {"carrier": "ENVIO"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNSUPPORTED"
