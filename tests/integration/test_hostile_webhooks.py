"""Signed callbacks that say hostile things, through the real HTTP stack, for each
carrier's webhook route, on the memory store and on Redis.

Each probe is authentic (signed, or with the right token) and still says something no
carrier should: 1e999, NaN and Infinity where a number belongs, strings of 900 KB or
with NUL bytes, bodies nested 5 000 deep, timestamps in year 9999 or year 0, statuses
nobody lists, a number where a string belongs, a list where an object belongs. Each
gets a 400 (nothing stored) when the event's identity or status cannot be read, and
a 2xx otherwise with the unreadable fields dropped; after every probe the shipment,
the tenant's listing and a later valid callback still work.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from shipgraph.sandbox.mounts import (
    BORZO_CALLBACK_SECRET,
    ENTREGO_WEBHOOK_TOKEN,
    ENVIO_WEBHOOK_TOKEN,
)
from shipgraph.store.sql.tables import shipments
from tests.integration.conftest import create
from tests.integration.operations import CREATE, LIST, SUBSCRIBE, shipment_input
from tests.support.clock import now, stamp
from tests.support.fixtures import fixture
from tests.support.stack import Backend, Stack, running_stack
from tests.support.ws import TRANSPORT_WS, GraphQLSocket

READ = """query Get($id: ID!) { shipment(id: $id) {
  id status carrierStatus trackingNumber version receivedBy deliveredAt
  estimatedPickupAt estimatedDeliveryAt
  cashOnDelivery { amount currency }
  courier { name phone vehicle location { latitude longitude } locatedAt }
  parcels { items { sku name quantity weightKg } }
  trackingLogs { status carrierStatus message occurredAt reasonCode reason }
} }"""

HUGE = "A" * 900_000
NUL = "Bu\x00di"
SURROGATE = "Bu\ud800di"
DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000
DEEP_LIST = b"[" * 5000 + b"]" * 5000
LONG_DATES = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "0000-01-01T00:00:00Z")


@dataclass(frozen=True)
class Probe:
    name: str
    body: bytes
    expected: int


def probe(name: str, body: Any, expected: int) -> Probe:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Probe(name, raw, expected)


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``path`` ("a.b.0.c") set to ``value``."""
    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def body_probes(valid: dict[str, Any], field: str) -> list[Probe]:
    """Bodies no route may read, whatever the carrier."""
    return [
        probe("nested 5000 deep", DEEP, 400),
        probe("a list nested 5000 deep in a field", changed_raw(valid, field, DEEP_LIST), 400),
        probe("NaN literal", changed_raw(valid, field, b"NaN"), 400),
        probe("Infinity literal", changed_raw(valid, field, b"Infinity"), 400),
        probe("1e999 literal", changed_raw(valid, field, b"1e999"), 400),
        probe("a 5000-digit integer", changed_raw(valid, field, b"9" * 5000), 400),
        probe("invalid UTF-8", b'{"status": "\xff\xfe"}', 400),
        probe("a list, not an object", [valid], 400),
        probe("a number, not an object", b"42", 400),
    ]


def changed_raw(base: dict[str, Any], field: str, raw: bytes) -> bytes:
    """``base`` as JSON with top-level ``field`` replaced by raw JSON text."""
    body = {key: value for key, value in base.items() if key != field}
    marker = "__raw__"
    text = json.dumps({**body, field: marker}).encode()
    return text.replace(json.dumps(marker).encode(), raw)


# --- the three routes ---------------------------------------------------------------


@dataclass
class Route:
    """One carrier's webhook route, a booked shipment, and a valid event to follow."""

    send: Callable[[bytes], Awaitable[httpx.Response]]
    valid: Callable[[int], dict[str, Any]]
    marked: Callable[[dict[str, Any], int], bool]
    probes: list[Probe]
    shipment_id: str


async def envio_route(stack: Stack) -> Route:
    booked = await create(stack, "SO-HOSTILE")
    code = booked["trackingNumber"]

    async def send(raw: bytes) -> httpx.Response:
        return await stack.http.post(
            f"{stack.gateway}/webhooks/envio",
            params={"token": ENVIO_WEBHOOK_TOKEN},
            content=raw,
            headers={"content-type": "application/json"},
        )

    def event(name: str) -> dict[str, Any]:
        body: dict[str, Any] = fixture("envio", name)
        if "shipment" in body:
            body["shipment"]["code"] = code
        else:
            body["code"] = code
        return body

    def valid(n: int) -> dict[str, Any]:
        return {**event("webhook_assign_driver"), "driver_name": f"Driver {n}"}

    def marked(shipment: dict[str, Any], n: int) -> bool:
        return bool(shipment["courier"] and shipment["courier"]["name"] == f"Driver {n}")

    status = event("webhook_delivered")
    driver = event("webhook_assign_driver")
    item = event("webhook_item")
    probes = [
        *body_probes(status, "cod_value"),
        probe("status a number", changed(status, "status", 5), 400),
        probe("status a list", changed(status, "status", ["delivered"]), 400),
        probe("status 900 KB", changed(status, "status", HUGE), 400),
        probe("status with NUL", changed(status, "status", "deliv\x00ered"), 400),
        probe("shipment.code a number", changed(status, "shipment.code", 5), 400),
        probe("shipment.code 900 KB", changed(status, "shipment.code", HUGE), 400),
        probe("shipment.code with NUL", changed(status, "shipment.code", code + "\x00"), 400),
        probe("shipment a list", changed(status, "shipment", [code]), 400),
        probe("item.quantity 1e999 string", changed(item, "item.quantity", "1e999"), 400),
        probe("item.quantity NaN string", changed(item, "item.quantity", "NaN"), 400),
        probe("item.item_name a number", changed(item, "item.item_name", 7), 400),
        probe("an unknown status", changed(status, "status", "teleported"), 200),
        probe("cod_value 1e999 string", changed(status, "cod_value", "1e999"), 200),
        probe("cod_value Infinity string", changed(status, "cod_value", "Infinity"), 200),
        probe("cod_value 1e300", changed(status, "cod_value", 1e300), 200),
        probe("received_by 900 KB", changed(status, "received_by", HUGE), 200),
        probe("received_by with NUL", changed(status, "received_by", NUL), 200),
        probe("received_by a lone surrogate", changed(status, "received_by", SURROGATE), 200),
        probe("received_by a list", changed(status, "received_by", ["Robert"]), 200),
        probe("message 900 KB", changed(status, "message", HUGE), 200),
        probe("driver_name with NUL", changed(driver, "driver_name", NUL), 200),
        probe("driver_name 900 KB", changed(driver, "driver_name", HUGE), 200),
        probe("driver_phone an object", changed(driver, "driver_phone", {"n": 1}), 200),
        probe("item.weight Infinity", changed(item, "item.weight", "Infinity"), 200),
        *(probe(f"ata_at {d}", changed(status, "ata_at", d), 200) for d in LONG_DATES),
        probe("eta_at year 9999", changed(status, "eta_at", LONG_DATES[0]), 200),
        probe("ata_at a number", changed(status, "ata_at", 1700000000), 200),
    ]
    return Route(send, valid, marked, probes, booked["id"])


async def borzo_route(stack: Stack) -> Route:
    body = await stack.gql(
        CREATE,
        {
            "input": {
                "shipment": shipment_input("SO-B-HOSTILE", description="Documents"),
                "carrier": "BORZO",
            }
        },
    )
    payload = body["data"]["createShipment"]
    assert payload["userErrors"] == [], payload
    booked = payload["shipment"]
    await stack.http.get(f"{stack.sandbox}/borzo/_control/callbacks", params={"wait": 1})
    orders = (await stack.http.get(f"{stack.sandbox}/borzo/_control/orders")).json()["orders"]
    [order] = [o for o in orders if str(o["order_id"]) == booked["carrierShipmentId"]]
    start = now()

    async def send(raw: bytes) -> httpx.Response:
        signature = hmac.new(BORZO_CALLBACK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return await stack.http.post(
            f"{stack.gateway}/webhooks/borzo",
            content=raw,
            headers={"X-DV-Signature": signature, "content-type": "application/json"},
        )

    def callback(n: int, courier_name: str = "Kurir") -> dict[str, Any]:
        courier = {"name": courier_name, "phone": "6281200000000"}
        courier |= {"latitude": "-6.2", "longitude": "106.8"}
        return {
            "event_datetime": stamp(start + timedelta(seconds=n)),
            "event_type": "order_changed",
            "order": {**copy.deepcopy(order), "courier": courier},
        }

    def valid(n: int) -> dict[str, Any]:
        return callback(10_000 + n, f"Kurir {n}")

    def marked(shipment: dict[str, Any], n: int) -> bool:
        return bool(shipment["courier"] and shipment["courier"]["name"] == f"Kurir {n}")

    event = callback(1)
    delivery: dict[str, Any] = fixture("borzo", "callback_delivery_created")
    delivery["delivery"]["order_id"] = order["order_id"]
    delivery["event_datetime"] = stamp(start)
    probes = [
        *body_probes(event, "order"),
        probe("courier.latitude 1e999", changed(event, "order.courier.latitude", "1e999"), 200),
        probe("courier.latitude NaN", changed(event, "order.courier.latitude", "NaN"), 200),
        probe(
            "courier.longitude Infinity", changed(event, "order.courier.longitude", "Infinity"), 200
        ),
        probe(
            "courier.latitude -Infinity", changed(event, "order.courier.latitude", "-Infinity"), 200
        ),
        probe("courier.latitude 91", changed(event, "order.courier.latitude", "91"), 200),
        probe("courier.longitude 1e300", changed(event, "order.courier.longitude", 1e300), 200),
        probe("courier.latitude a list", changed(event, "order.courier.latitude", [1]), 200),
        probe("courier.name with NUL", changed(event, "order.courier.name", NUL), 200),
        probe("courier.name 900 KB", changed(event, "order.courier.name", HUGE), 200),
        probe(
            "courier.name a lone surrogate", changed(event, "order.courier.name", SURROGATE), 200
        ),
        probe("courier.name a number", changed(event, "order.courier.name", 42), 200),
        probe("courier a list", changed(event, "order.courier", ["Budi"]), 200),
        probe("order_name 900 KB", changed(event, "order.order_name", HUGE), 200),
        probe("status_description 900 KB", changed(event, "order.status_description", HUGE), 200),
        probe("an unknown order status", changed(event, "order.status", "teleported"), 200),
        probe("taking_amount 1e999", changed(event, "order.points.1.taking_amount", "1e999"), 200),
        probe(
            "required_finish_datetime year 9999",
            changed(event, "order.points.1.required_finish_datetime", LONG_DATES[0]),
            200,
        ),
        probe("order.status a number", changed(event, "order.status", 5), 400),
        probe("order.status 900 KB", changed(event, "order.status", HUGE), 400),
        probe("order.status with NUL", changed(event, "order.status", "new\x00"), 400),
        probe(
            "delivery.status a list",
            changed(event, "order.points.1.delivery", {"status": ["finished"]}),
            400,
        ),
        probe("order_id letters", changed(event, "order.order_id", "abc"), 400),
        probe("order_id 1e999", changed(event, "order.order_id", "1e999"), 400),
        probe("order_id Arabic-Indic digits", changed(event, "order.order_id", "١٢٣"), 400),
        probe("order_id a list", changed(event, "order.order_id", [order["order_id"]]), 400),
        probe("order a list", changed(event, "order", [order]), 400),
        *(
            probe(f"event_datetime {d}", changed(event, "event_datetime", d), 400)
            for d in LONG_DATES
        ),
        probe("event_datetime a number", changed(event, "event_datetime", 1700000000), 400),
        probe(
            "delivery.order_id a string of letters",
            changed(delivery, "delivery.order_id", "x"),
            400,
        ),
        probe("delivery.status a number", changed(delivery, "delivery.status", 3), 400),
        probe(
            "delivery.courier.latitude 1e999",
            changed(delivery, "delivery.courier", {"latitude": "1e999", "longitude": "1"}),
            200,
        ),
        probe("delivery.status unknown", changed(delivery, "delivery.status", "teleported"), 200),
    ]
    return Route(send, valid, marked, probes, booked["id"])


async def entrego_route(stack: Stack) -> Route:
    from tests.integration.test_entrego import book

    booked = await book(stack, "PH-HOSTILE")
    number = booked["trackingNumber"]
    start = now()

    async def send(raw: bytes) -> httpx.Response:
        return await stack.http.post(
            f"{stack.gateway}/webhooks/entrego",
            content=raw,
            headers={
                "Authorization": f"Bearer {ENTREGO_WEBHOOK_TOKEN}",
                "content-type": "application/json",
            },
        )

    def valid(n: int) -> dict[str, Any]:
        return {
            "status": "IN_TRANSIT",
            "tracking_number": number,
            "timestamp": stamp(start + timedelta(seconds=10_000 + n)),
            "comments": {"transitCounter": n},
        }

    def marked(shipment: dict[str, Any], n: int) -> bool:
        return any(log["message"] == f"transitCounter={n}" for log in shipment["trackingLogs"])

    event = {**fixture("entrego", "webhook"), "tracking_number": number}
    event["timestamp"] = stamp(start)
    failed = {**event, "status": "DELIVERY_FAILED"}
    probes = [
        *body_probes(event, "comments"),
        probe("status a number", changed(event, "status", 5), 400),
        probe("status a list", changed(event, "status", ["PICKED_UP"]), 400),
        probe("status 900 KB", changed(event, "status", HUGE), 400),
        probe("status with NUL", changed(event, "status", "PICKED\x00UP"), 400),
        probe("tracking_number a number", changed(event, "tracking_number", 31), 400),
        probe("tracking_number 900 KB", changed(event, "tracking_number", HUGE), 400),
        probe("tracking_number with NUL", changed(event, "tracking_number", number + "\x00"), 400),
        probe("comments a list", changed(event, "comments", [1]), 400),
        probe("an unknown status", changed(event, "status", "TELEPORTED"), 200),
        *(probe(f"timestamp {d}", changed(event, "timestamp", d), 200) for d in LONG_DATES),
        probe("timestamp a list", changed(event, "timestamp", ["2024"]), 200),
        probe("a counter 1e999", changed(event, "comments.receiveCounter", "1e999"), 200),
        probe("a counter NaN", changed(event, "comments.receiveCounter", "NaN"), 200),
        probe("a counter 1e300", changed(event, "comments.receiveCounter", 1e300), 200),
        probe(
            "a reason code with NUL",
            changed(failed, "comments.deliveryFailedReasonCode", "1A\x00"),
            200,
        ),
        probe(
            "a reason code 900 KB",
            changed(failed, "comments.deliveryFailedReasonCode", HUGE),
            200,
        ),
    ]
    return Route(send, valid, marked, probes, booked["id"])


ROUTES = {"ENVIO": envio_route, "BORZO": borzo_route, "ENTREGO": entrego_route}


@pytest.fixture
async def stack(backend: Backend) -> AsyncIterator[Stack]:
    async with running_stack(backend, carrier_timeout_s=8.0) as running:
        yield running


def sane(value: Any, where: str = "") -> list[str]:
    """Where a GraphQL answer holds a string no carrier should have got stored."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in sane(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in sane(item, f"{where}.{i}")]
    if isinstance(value, str) and (len(value) > 1000 or not value.isprintable()):
        return [where]
    if isinstance(value, float) and value != value:  # NaN
        return [where]
    return []


@pytest.mark.parametrize("carrier", ROUTES)
async def test_hostile_callbacks_poison_nothing(stack: Stack, carrier: str) -> None:
    route = await ROUTES[carrier](stack)
    answers: dict[int, int] = {}
    for n, hostile in enumerate(route.probes):
        response = await route.send(hostile.body)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        assert response.status_code == hostile.expected, (hostile.name, response.text[:300])
        if response.status_code == 400:
            assert response.json()["error"], hostile.name
        read = await stack.gql(READ, {"id": route.shipment_id})
        assert "errors" not in read, (hostile.name, read)
        assert read["data"]["shipment"]["id"] == route.shipment_id, hostile.name
        assert sane(read["data"]) == [], (hostile.name, sane(read["data"]))
        listed = await stack.gql(LIST, {"first": 50})
        assert "errors" not in listed, (hostile.name, listed)
        ids = [edge["node"]["id"] for edge in listed["data"]["shipments"]["edges"]]
        assert route.shipment_id in ids, hostile.name
        followed = await route.send(json.dumps(route.valid(n)).encode())
        assert followed.status_code == 200, (hostile.name, followed.text)
        after = (await stack.gql(READ, {"id": route.shipment_id}))["data"]["shipment"]
        assert route.marked(after, n), (hostile.name, after)
    assert sum(answers.values()) == len(route.probes) >= 25


# --- a record already poisoned --------------------------------------------------------

POISONED_COURIER = {"name": "Kurir", "location": {"latitude": None, "longitude": 106.8}}


async def poison(stack: Stack, shipment_id: str) -> None:
    """Store what the gateway stored before the fix for ``courier.latitude: "1e999"``:
    null where a float belongs. By hand, behind the gateway's back."""
    this = shipments.c.id == shipment_id
    async with stack.app.state.services.store.engine.begin() as conn:
        record = json.loads(
            (await conn.execute(sa.select(shipments.c.document).where(this))).scalar_one()
        )
        record["courier"] = POISONED_COURIER
        await conn.execute(
            sa.update(shipments).where(this).values(document=json.dumps(record).encode())
        )


TWO = """query Two($a: ID!, $b: ID!) {
  a: shipment(id: $a) { id status }
  b: shipment(id: $b) { id status }
}"""


async def test_a_poisoned_record_takes_nothing_else_down(stack: Stack) -> None:
    good = await create(stack, "SO-GOOD")
    bad = await create(stack, "SO-BAD")
    await poison(stack, bad["id"])

    read = await stack.gql(READ, {"id": bad["id"]})
    [error] = read["errors"]
    assert error["extensions"]["code"] == "DATA_CORRUPTED"
    assert "stored record" in error["message"] and "unreadable" in error["message"]
    assert read["data"] == {"shipment": None}

    both = await stack.gql(TWO, {"a": good["id"], "b": bad["id"]})
    assert both["data"] == {"a": {"id": good["id"], "status": "CREATED"}, "b": None}
    assert [e["path"] for e in both["errors"]] == [["b"]]
    assert both["errors"][0]["extensions"]["code"] == "DATA_CORRUPTED"

    listed = await stack.gql(LIST, {"first": 10})
    assert "errors" not in listed
    assert [e["node"]["id"] for e in listed["data"]["shipments"]["edges"]] == [good["id"]]

    response = await send_envio(stack, fixture_event("webhook_manifested", bad["trackingNumber"]))
    assert response.status_code == 202, response.text
    assert "unreadable" in response.json()["detail"]
    response = await send_envio(stack, fixture_event("webhook_manifested", good["trackingNumber"]))
    assert response.status_code == 200
    after = (await stack.gql(READ, {"id": good["id"]}))["data"]["shipment"]
    assert after["status"] == "PICKUP_SCHEDULED"

    cancel = await stack.gql(
        "mutation C($id: ID!) { cancelShipment(input: {id: $id}) { shipment { id } } }",
        {"id": bad["id"]},
    )
    assert cancel["errors"][0]["extensions"]["code"] == "DATA_CORRUPTED"

    socket = await GraphQLSocket.connect(stack.gateway, TRANSPORT_WS, "Bearer key-acme")
    try:
        assert await socket.acknowledged()
        await socket.subscribe(SUBSCRIBE, {"id": bad["id"]})
        message = await socket.receive()
    finally:
        await socket.close()
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "DATA_CORRUPTED", message


def fixture_event(name: str, code: str) -> bytes:
    body: dict[str, Any] = fixture("envio", name)
    body["shipment"]["code"] = code
    return json.dumps(body).encode()


async def send_envio(stack: Stack, raw: bytes) -> httpx.Response:
    return await stack.http.post(
        f"{stack.gateway}/webhooks/envio",
        params={"token": ENVIO_WEBHOOK_TOKEN},
        content=raw,
        headers={"content-type": "application/json"},
    )
